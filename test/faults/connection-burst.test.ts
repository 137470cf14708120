/**
 * A burst of new connections while the gateway is too busy to accept them: the kernel must queue them,
 * not drop them. A dropped SYN is retried by the client after 1 s, then 3 s, 7 s, 15 s: that is how 5,000
 * streams opened at once to lessllm on Node got their first byte after up to 15 s, and one in ten on Bun
 * after 1 s. Node and Deno are given a larger listen backlog; Bun takes none, and listens several times on
 * the port instead (src/runtime/serve.ts).
 *
 * The gateway is made "too busy" by stopping its process (SIGSTOP): nothing is accepted, and a
 * connection completes only if a queue has room for it. Then it is continued, and every connection must
 * be answered. Runs against the compiled executable too (LESSLLM_TEST_COMMAND, see test/support/gateway.ts).
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { kernelBacklogLimit } from '../../src/runtime/listen-queue.ts';
import { startGateway, type RunningGateway } from '../support/gateway.ts';

/** Well above the 511 or 512 a runtime listens with by default, well below the 4,096 Linux allows by default. */
const burst = 1_200;
const patience = { timeout: 60_000 };

function skipReason(): string | false {
  const limit = kernelBacklogLimit();
  if (limit === undefined) return 'not Linux: no /proc/sys/net/core/somaxconn';
  if (limit <= burst) return `net.core.somaxconn is ${limit}: no backlog can hold ${burst} connections`;
  return false;
}

type PendingConnection = { socket: Socket; connected: boolean; answer: Promise<string> };

function openConnection(port: number): PendingConnection {
  const socket = connect({ host: '127.0.0.1', port });
  const pending: PendingConnection = { socket, connected: false, answer: Promise.resolve('') };
  socket.once('connect', () => (pending.connected = true));
  pending.answer = new Promise((resolve) => {
    let received = '';
    socket.on('data', (bytes) => (received += bytes.toString('latin1')));
    socket.once('close', () => resolve(received));
    socket.once('error', (error) => resolve(`error: ${error.message}`));
  });
  return pending;
}

describe('a burst of connections to a gateway too busy to accept them', { skip: skipReason() }, () => {
  let gateway: RunningGateway;

  before(async () => {
    gateway = await startGateway({ config: { providers: { mock: { type: 'mock' } }, routes: [{ match: '*', provider: 'mock' }] } });
  }, patience);

  after(async () => {
    gateway.signal('SIGCONT');
    await gateway.stop();
  });

  it(`queues all ${burst} connections in the kernel and answers every one once it runs again`, patience, async () => {
    const port = Number(new URL(gateway.url).port);
    gateway.signal('SIGSTOP');
    const connections = Array.from({ length: burst }, () => openConnection(port));
    // Long enough for every handshake on loopback, shorter than the client's first SYN retry (1 s).
    await new Promise((resolve) => setTimeout(resolve, 700));
    const connectedWhileStopped = connections.filter((connection) => connection.connected).length;
    gateway.signal('SIGCONT');
    for (const { socket } of connections) socket.end('GET /health HTTP/1.1\r\nhost: lessllm\r\nconnection: close\r\n\r\n');
    const answers = await Promise.all(connections.map((connection) => connection.answer));

    assert.equal(connectedWhileStopped, burst, `connections completed while the gateway could not accept: ${connectedWhileStopped} of ${burst}`);
    const notOk = answers.filter((answer) => !answer.startsWith('HTTP/1.1 200'));
    assert.equal(notOk.length, 0, `answers other than 200: ${notOk.length}, the first: ${JSON.stringify(notOk[0]?.slice(0, 120))}`);
  });
});
