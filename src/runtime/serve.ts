/**
 * Serving on each runtime (current-runtime.ts says which): Bun serves Elysia natively, Deno through
 * `Deno.serve(app.fetch)`, Node through Elysia's node adapter; everything else is web standards.
 */
import type { AppOptions } from '../gateway/app.ts';
import { createApp } from '../gateway/app.ts';
import { currentRuntime } from './current-runtime.ts';

export type RunningServer = {
  url: string;
  /** Stops accepting connections; resolves when the requests in flight have finished (may take long). */
  stopAccepting(): Promise<void>;
  /** Closes everything now, open connections included. */
  stop(): Promise<void>;
};

/**
 * How many connections the kernel may hold for us before we accept them. Node listens with 511 unless
 * told; a burst beyond what the event loop accepts in time then has its SYNs dropped, and each client
 * retries after 1 s, 3 s, 7 s, 15 s (5,000 streams opened at once on Node waited up to 15 s for their first
 * byte). Linux caps the value at net.core.somaxconn (4,096 by default), so asking for the most takes what
 * the machine allows. Bun (512) and Deno (511) take no such option.
 */
const listenBacklog = 65_535;

type DenoRemote = { remoteAddr: { hostname: string } };
type DenoServer = { finished: Promise<void>; shutdown(): Promise<void>; addr: { port: number } };
type DenoGlobal = {
  serve(
    options: { hostname: string; port: number; onListen?: (address: { port: number }) => void },
    handler: (request: Request, info: DenoRemote) => Response | Promise<Response>,
  ): DenoServer;
};

export async function serve(options: Omit<AppOptions, 'clientAddressOf' | 'elysiaAdapter'>, host: string, port: number): Promise<RunningServer> {
  const runtime = currentRuntime();
  switch (runtime) {
    case 'bun': {
      const clientAddressOf = (request: Request, server: unknown) =>
        (server as { requestIP?: (request: Request) => { address: string } | null } | null)?.requestIP?.(request)?.address;
      const app = createApp({ ...options, clientAddressOf });
      app.listen({ hostname: host, port });
      const server = app.server!;
      return {
        url: `http://${host}:${server.port}`,
        stopAccepting: async () => void (await server.stop(false)),
        stop: async () => void (await server.stop(true)),
      };
    }
    case 'deno': {
      // Deno hands the peer address to the handler, not to the Request: remember it per request.
      const addresses = new WeakMap<Request, string>();
      const app = createApp({ ...options, clientAddressOf: (request) => addresses.get(request) });
      const deno = (globalThis as unknown as { Deno: DenoGlobal }).Deno;
      const listening = Promise.withResolvers<number>();
      const server = deno.serve({ hostname: host, port, onListen: (address) => listening.resolve(address.port) }, (request, info) => {
        addresses.set(request, info.remoteAddr.hostname);
        return app.fetch(request);
      });
      const boundPort = await listening.promise;
      // Deno's shutdown is the graceful kind: it stops listening and waits for responses in flight.
      const shutdown = server.shutdown.bind(server);
      let stopping: Promise<void> | undefined;
      return { url: `http://${host}:${boundPort}`, stopAccepting: () => (stopping ??= shutdown()), stop: () => (stopping ??= shutdown()) };
    }
    case 'node': {
      const { node } = await import('@elysiajs/node');
      // srvx, under Elysia's node adapter, puts the peer address on the request.
      const app = createApp({ ...options, elysiaAdapter: node(), clientAddressOf: (request) => (request as { ip?: string }).ip });
      const started = Promise.withResolvers<{ raw: { ready(): Promise<unknown>; close(closeAll?: boolean): Promise<void>; node?: { server?: { address(): unknown } } } }>();
      // srvx passes `node` to server.listen(). Elysia's listen options have no such field, hence the cast.
      app.listen({ hostname: host, port, node: { backlog: listenBacklog } } as never, (info) => started.resolve(info as never));
      const { raw } = await started.promise;
      await raw.ready();
      const address = raw.node?.server?.address() as { port: number } | null;
      return { url: `http://${host}:${address?.port ?? port}`, stopAccepting: () => raw.close(false), stop: () => raw.close(true) };
    }
    default: {
      const unknownRuntime: never = runtime;
      throw new Error(`unsupported runtime ${unknownRuntime}`);
    }
  }
}
