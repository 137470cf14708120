/** HTTP servers and ports on 127.0.0.1 for tests and the benchmark: the one place that binds them. */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';

/** A port that was free a moment ago, for programs that cannot be told to pick their own. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createTcpServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export type LoopbackServer = {
  port: number;
  /** http://127.0.0.1:PORT */
  url: string;
  /** Closes the server, destroying open connections first (stalled responses never end by themselves). */
  stop(): Promise<void>;
};

/** A node:http server (works on Bun, Deno and Node) on a free 127.0.0.1 port. */
export async function serveOnLoopback(handle: (request: IncomingMessage, response: ServerResponse) => void): Promise<LoopbackServer> {
  const server = createHttpServer(handle);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the test server has no TCP address');
  return {
    port: address.port,
    url: `http://127.0.0.1:${address.port}`,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
