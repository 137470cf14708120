import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client';
// Deno needs the declaration path spelled out (see mcp-sdk.ts).
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/streamableHttp.d.ts"
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpBridge } from './bridge.ts';

/** The official MCP client, talking to the endpoint in-process: its fetch calls handleMcp directly. */
async function connect(bridge: McpBridge, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'endpoint-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL('http://localhost/mcp'), {
    requestInit: { headers },
    fetch: (url, init) => bridge.handleMcp(new Request(url, init)),
  });
  await client.connect(transport);
  return client;
}

describe('MCP endpoint of the bridge', () => {
  it('offers the four tools, each with a description and an input schema', async () => {
    const client = await connect(new McpBridge());
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name).sort(), ['answer_request', 'fail_request', 'list_requests', 'wait_for_request']);
    for (const tool of tools) {
      assert.ok((tool.description ?? '').length > 80, `${tool.name} explains itself`);
      assert.equal(tool.inputSchema.type, 'object');
    }
    const answer = tools.find((tool) => tool.name === 'answer_request')!;
    assert.deepEqual(answer.inputSchema.required, ['id']);
    assert.deepEqual(Object.keys(answer.inputSchema.properties ?? {}).sort(), ['done', 'id', 'text', 'tool_calls']);
    const wait = tools.find((tool) => tool.name === 'wait_for_request')!;
    assert.equal((wait.inputSchema.properties?.timeout_ms as { maximum?: number }).maximum, 50_000);
    assert.match(client.getInstructions() ?? '', /wait_for_request/);
    await client.close();
  });

  it('refuses MCP clients the authorize hook rejects, with 401', async () => {
    const bridge = new McpBridge({ authorize: (request) => request.headers.get('authorization') === 'Bearer desk-key' });
    await assert.rejects(connect(bridge), /401|Unauthorized/);
    const client = await connect(bridge, { authorization: 'Bearer desk-key' });
    assert.equal((await client.listTools()).tools.length, 4);
    await client.close();
  });

  it('refuses requests from web pages of other sites (DNS rebinding), and accepts local pages and programs', async () => {
    const bridge = new McpBridge();
    const list = (origin?: string) =>
      bridge.handleMcp(
        new Request('http://localhost/mcp', {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(origin ? { origin } : {}) },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
        }),
      );
    const foreign = await list('http://attacker.example:8000');
    assert.equal(foreign.status, 403);
    assert.match((await foreign.json()).error.message, /attacker\.example/);
    for (const origin of [undefined, 'http://localhost:6274', 'http://127.0.0.1:3000']) {
      const response = await list(origin);
      assert.equal(response.status, 200, `origin ${origin}`);
      assert.match(await response.text(), /wait_for_request/);
    }
  });

  it('answers GET and DELETE with 405: there are no sessions and no server-initiated streams', async () => {
    const bridge = new McpBridge();
    for (const method of ['GET', 'DELETE']) {
      const response = await bridge.handleMcp(new Request('http://localhost/mcp', { method, headers: { accept: 'text/event-stream' } }));
      assert.equal(response.status, 405);
      assert.equal(response.headers.get('allow'), 'POST');
      const body = await response.json();
      assert.equal(body.jsonrpc, '2.0');
    }
  });
});
