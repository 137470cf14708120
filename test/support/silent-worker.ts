/** A worker thread that takes requests and never answers them: for a thread that hangs (src/core/token-counter.test.ts). */
import { parentPort } from 'node:worker_threads';

parentPort?.on('message', () => {});
