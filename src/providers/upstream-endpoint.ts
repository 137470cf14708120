/** Where and how to send one request to an HTTP upstream. */
import type { Protocol } from '../protocols/protocol.ts';

export type UpstreamEndpoint = {
  url: string;
  /** Built for one call (the gateway adds its trace headers to them). */
  headers: Headers;
  /** The wire format the upstream speaks. */
  protocol: Protocol;
};

/** Client headers an upstream of the same protocol needs to behave as the client expects. */
export function copyHeaders(from: Headers, to: Headers, names: readonly string[]): void {
  for (const name of names) {
    const value = from.get(name);
    if (value !== null) to.set(name, value);
  }
}
