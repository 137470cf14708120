/**
 * The arrangement every MCP bridge test uses: a server with three `type: mcp` providers, and an MCP
 * client (the "desk") attached to its /mcp endpoint, started before a `describe` block, stopped after.
 *
 * Routes (first match wins):
 *   bridge-*  → desk   (timeout 60 s: answers never time out within a test)
 *   quick-*   → quick  (timeout 300 ms: for requests nobody answers)
 *   stall-*   → stall  (timeout 2 s: for answers that stop after a chunk; long enough to send the first
 *                       chunk on a loaded machine, which is the timing this provider depends on)
 */
import { after, afterEach, before, beforeEach } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startGateway, type RunningGateway } from '../../support/gateway.ts';
import { McpDesk, type RequestView } from './mcp-desk.ts';

export const DESK_MODEL = 'bridge-desk';
export const QUICK_MODEL = 'quick-desk';
export const STALL_MODEL = 'stall-desk';
const CLIENT_KEY = 'sk-bridge-test-client';

const bridgeConfig = {
  providers: {
    desk: { type: 'mcp', timeout_ms: 60_000 },
    quick: { type: 'mcp', timeout_ms: 300 },
    stall: { type: 'mcp', timeout_ms: 2_000 },
  },
  routes: [
    { match: 'bridge-*', provider: 'desk' },
    { match: 'quick-*', provider: 'quick' },
    { match: 'stall-*', provider: 'stall' },
  ],
};

export type BridgeSetup = {
  url: string;
  desk: McpDesk;
  openai: OpenAI;
  anthropic: Anthropic;
  /** Another MCP client on the same endpoint, closed after the block. */
  connectDesk(): Promise<McpDesk>;
};

export function useBridge(): BridgeSetup {
  const setup = {} as BridgeSetup;
  const desks: McpDesk[] = [];
  let gateway: RunningGateway | undefined;
  before(async () => {
    gateway = await startGateway({ config: bridgeConfig });
    setup.url = gateway.url;
    setup.connectDesk = async () => {
      const desk = await McpDesk.connect(setup.url);
      desks.push(desk);
      return desk;
    };
    setup.desk = await setup.connectDesk();
    setup.openai = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${setup.url}/v1`, maxRetries: 0 });
    setup.anthropic = new Anthropic({ apiKey: CLIENT_KEY, baseURL: setup.url, maxRetries: 0 });
  });
  after(async () => {
    for (const desk of desks) await desk.close().catch(() => {});
    await gateway?.stop();
  });
  let logOffset = 0;
  beforeEach(() => {
    logOffset = gateway?.log.length ?? 0;
  });
  // Node and Bun tell the hook whether the test passed; Deno does not (then the log stays quiet).
  afterEach((context: unknown) => {
    if ((context as { passed?: boolean } | undefined)?.passed === false) gateway?.printOutput('during the failed test', logOffset);
  });
  return setup;
}

/**
 * Polls the open requests until `check` holds; for effects the test cannot await directly (a client
 * that disconnected is noticed by the server a moment later). Fails after a generous deadline.
 */
export async function eventually(desk: McpDesk, check: (requests: RequestView[]) => boolean, what: string): Promise<RequestView[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const requests = await desk.list();
    if (check(requests)) return requests;
    if (Date.now() > deadline) throw new Error(`still not true after 15 s: ${what}; open requests: ${JSON.stringify(requests.map((request) => request.id))}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits for the next request and checks it is the one the test just made (by its last user message). */
export async function nextRequest(desk: McpDesk, lastUserText: string): Promise<RequestView> {
  const request = await desk.waitForRequest();
  if (!request) throw new Error(`no request arrived (expected one ending with "${lastUserText}")`);
  const last = request.messages.at(-1);
  const text = typeof last?.content === 'string' ? last.content : JSON.stringify(last?.content);
  if (!text.includes(lastUserText)) throw new Error(`expected the request for "${lastUserText}", got ${JSON.stringify(request.messages)}`);
  return request;
}

