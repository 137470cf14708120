/**
 * The entry modules of lessllm's worker threads (the SQLite log table's, the token counter's). Resolved
 * here, in a module at the top of src/, because in the executable `bun build --compile` makes, every
 * module's import.meta.url is the executable's own, and its directory holds each extra entry point at its
 * path under src/ (package.json "build" lists them). From a module deeper down, a relative URL would work
 * from source but not in the executable.
 */
export const sqliteLogWorkerUrl = new URL('./telemetry/log-table/sqlite-worker.ts', import.meta.url);
export const tokenCountWorkerUrl = new URL('./core/token-count-worker.ts', import.meta.url);
