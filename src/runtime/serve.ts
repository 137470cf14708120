/**
 * Serving on each runtime (current-runtime.ts says which): Bun serves Elysia natively, Deno through
 * `Deno.serve(app.fetch)`, Node through Elysia's node adapter; everything else is web standards.
 */
import type { AppOptions } from '../gateway/app.ts';
import { createApp } from '../gateway/app.ts';
import { currentRuntime } from './current-runtime.ts';
import { listenBacklog, listenersFor } from './listen-queue.ts';

export type RunningServer = {
  url: string;
  /** Stops accepting connections; resolves when the requests in flight have finished (may take long). */
  stopAccepting(): Promise<void>;
  /** Closes everything now, open connections included. */
  stop(): Promise<void>;
};

/** Elysia's default, set explicitly so that every listener has the same. */
const idleTimeoutSeconds = 30;
/** The queue each of Bun's listeners gets, whatever it is asked (`ss -ltn`): it takes no backlog. */
const bunListenQueue = 512;

type BunServer = {
  port: number;
  requestIP(request: Request): { address: string } | null;
  stop(closeActiveConnections?: boolean): Promise<void>;
};
type BunGlobal = {
  serve(options: {
    hostname: string;
    port: number;
    reusePort: boolean;
    idleTimeout: number;
    development: boolean;
    fetch(request: Request, server: BunServer): Response | Promise<Response>;
  }): BunServer;
};
type DenoRemote = { remoteAddr: { hostname: string } };
type DenoServer = { finished: Promise<void>; shutdown(): Promise<void>; addr: { port: number } };
type DenoGlobal = {
  serve(
    options: { hostname: string; port: number; tcpBacklog: number; onListen?: (address: { port: number }) => void },
    handler: (request: Request, info: DenoRemote) => Response | Promise<Response>,
  ): DenoServer;
};

export async function serve(options: Omit<AppOptions, 'clientAddressOf' | 'elysiaAdapter'>, host: string, port: number): Promise<RunningServer> {
  const runtime = currentRuntime();
  switch (runtime) {
    case 'bun': {
      // A request that came in on one of the extra listeners is answered by their own fetch: its peer
      // address is noted here, since Elysia hands every handler the first listener.
      const addresses = new WeakMap<Request, string>();
      const clientAddressOf = (request: Request, server: unknown) => addresses.get(request) ?? (server as BunServer | null)?.requestIP(request)?.address;
      const app = createApp({ ...options, clientAddressOf });
      // The same for every listener. Elysia turns Bun's development mode on unless NODE_ENV=production, and
      // it would answer an uncaught error with a page of stack traces; lessllm answers errors itself.
      const listenOptions = { reusePort: true, idleTimeout: idleTimeoutSeconds, development: false };
      app.listen({ hostname: host, port, ...listenOptions });
      const first = app.server as unknown as BunServer;
      const bun = (globalThis as unknown as { Bun: BunGlobal }).Bun;
      const extras = Array.from({ length: listenersFor(bunListenQueue) - 1 }, () =>
        // SO_REUSEPORT on the first listener too is what lets these share its port.
        bun.serve({
          hostname: host,
          port: first.port,
          ...listenOptions,
          fetch(request, server) {
            const address = server.requestIP(request)?.address;
            if (address !== undefined) addresses.set(request, address);
            return app.fetch(request);
          },
        }),
      );
      const servers = [first, ...extras];
      return {
        url: `http://${host}:${first.port}`,
        stopAccepting: async () => void (await Promise.all(servers.map((server) => server.stop(false)))),
        stop: async () => void (await Promise.all(servers.map((server) => server.stop(true)))),
      };
    }
    case 'deno': {
      // Deno hands the peer address to the handler, not to the Request: remember it per request.
      const addresses = new WeakMap<Request, string>();
      const app = createApp({ ...options, clientAddressOf: (request) => addresses.get(request) });
      const deno = (globalThis as unknown as { Deno: DenoGlobal }).Deno;
      const listening = Promise.withResolvers<number>();
      const server = deno.serve({ hostname: host, port, tcpBacklog: listenBacklog, onListen: (address) => listening.resolve(address.port) }, (request, info) => {
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
