/**
 * The official MCP TypeScript SDK client (Streamable HTTP transport) attached to the gateway's /mcp
 * endpoint: what an agent or an IDE answering LLM calls would run. Helpers unwrap the tools' results.
 */
import { Client } from '@modelcontextprotocol/sdk/client';
// Deno needs the declaration path spelled out (see src/providers/mcp-bridge/mcp-sdk.ts).
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/streamableHttp.d.ts"
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '../../../src/providers/mcp-bridge/mcp-sdk.ts';

/** A request as wait_for_request and list_requests show it. */
export type RequestView = {
  id: string;
  provider: string;
  model: string;
  client_protocol: 'openai-chat' | 'anthropic-messages';
  stream: boolean;
  state: 'waiting' | 'answering';
  chunks_sent: number;
  answer_within_ms: number;
  system?: string;
  messages: Array<{ role: string; content: unknown }>;
  tools?: Array<{ name: string; description?: string; input_schema: Record<string, unknown> }>;
  [key: string]: unknown;
};

export type ToolOutcome = { isError: boolean; text: string; structured: Record<string, any> | undefined };

export class McpDesk {
  readonly client: Client;
  private constructor(client: Client) {
    this.client = client;
  }

  static async connect(baseUrl: string, headers: Record<string, string> = {}): Promise<McpDesk> {
    const client = new Client({ name: 'lessllm-test-desk', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), { requestInit: { headers } }));
    return new McpDesk(client);
  }

  async call(name: string, args: Record<string, unknown>, options: { signal?: AbortSignal } = {}): Promise<ToolOutcome> {
    const result = (await this.client.callTool({ name, arguments: args }, undefined, options)) as CallToolResult;
    const text = result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
    return { isError: result.isError === true, text, structured: result.structuredContent as Record<string, any> | undefined };
  }

  /** Calls a tool that must succeed and returns its structured result. */
  async succeed(name: string, args: Record<string, unknown>): Promise<Record<string, any>> {
    const outcome = await this.call(name, args);
    if (outcome.isError) throw new Error(`${name} failed: ${outcome.text}`);
    return outcome.structured!;
  }

  async waitForRequest(timeoutMs = 30_000): Promise<RequestView | null> {
    return (await this.succeed('wait_for_request', { timeout_ms: timeoutMs })).request;
  }

  async list(): Promise<RequestView[]> {
    return (await this.succeed('list_requests', {})).requests;
  }

  async answer(args: { id: string; text?: string; tool_calls?: unknown[]; done?: boolean }): Promise<Record<string, any>> {
    return this.succeed('answer_request', args);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
