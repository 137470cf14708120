/**
 * How many connections the kernel may hold for us before we accept them. A burst beyond what the event
 * loop accepts in time otherwise has its SYNs dropped, and each client retries after 1 s, 3 s, 7 s, 15 s:
 * 5,000 streams opened at once waited up to 15 s for their first byte on Node, and one in ten of them 1 s on
 * Bun. Node and Deno (its `tcpBacklog`) take a backlog (511 unless told): asking for the most gets what
 * Linux allows, net.core.somaxconn (4,096 by default). Bun takes none (512), so there lessllm listens
 * several times on the same port (SO_REUSEPORT; Linux spreads new connections over the listeners, each with
 * a queue of its own) until the queues add up to that much: eight on a default Linux, one elsewhere.
 */
import { readFileSync } from 'node:fs';

/** Asked of Node's listen() and Deno.serve(); Linux caps it at kernelBacklogLimit(). */
export const listenBacklog = 65_535;
const mostListeners = 16;

/** The most connections one listening socket may queue (Linux's net.core.somaxconn); undefined elsewhere. */
export function kernelBacklogLimit(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const limit = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
    return Number.isFinite(limit) ? limit : undefined;
  } catch {
    return undefined;
  }
}

/** How many listeners with a queue of `queuePerListener` it takes to hold what Linux allows one backlog. */
export function listenersFor(queuePerListener: number): number {
  const limit = kernelBacklogLimit();
  return limit === undefined ? 1 : Math.min(mostListeners, Math.max(1, Math.ceil(limit / queuePerListener)));
}
