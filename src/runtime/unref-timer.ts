/**
 * Lets the process exit while a timer is pending: for background timers (deadline sweeps, collections,
 * a span batch's schedule) that must never be what keeps lessllm running. Bun's, Node's and Deno's
 * timers all have `unref()`; the web's timer type, which the code is typed against, does not say so.
 */
export function unrefTimer(timer: unknown): void {
  (timer as { unref?: () => void }).unref?.();
}
