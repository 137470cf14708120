/**
 * The MCP server an MCP client talks to: four tools over the pending requests. Descriptions are written
 * for the agent (or person) who will call them: they are all it knows about the bridge.
 */
import { McpServer, type CallToolResult } from './mcp-sdk.ts';
import * as z from 'zod/v4';
import type { ToolCallAnswer } from './pending-request.ts';
import { BridgeRefusal, type PendingRequests } from './pending-requests.ts';
import { viewOfRequest } from './request-view.ts';

/** MCP clients commonly give up on a tool call after 60 s; a wait must return well before that. */
const longestWaitMs = 50_000;
const defaultWaitMs = 30_000;

const instructions = `lessllm routes some LLM calls to you: an application called the OpenAI or Anthropic API, and you write the assistant's reply.
Loop: wait_for_request → read its messages (and tools) → answer_request (all at once, or in chunks with done: false until the last) or fail_request.
A request whose answer does not start (or stalls between chunks) before its answer_within_ms runs out fails with a timeout.`;

const providerFilter = z
  .string()
  .optional()
  .describe('Only requests for this provider (its name in the lessllm config); omit for requests of every mcp provider.');

const toolCallSchema = z.object({
  name: z.string().min(1).describe("The tool's name: one of the tools the request offers."),
  arguments: z
    .union([z.record(z.string(), z.unknown()), z.string()])
    .describe("The tool's arguments: a JSON object matching the tool's input_schema (a string holding a JSON object is accepted too)."),
  id: z.string().min(1).optional().describe('The tool call id; generated when omitted. The application sends it back with the tool result.'),
});

export function createBridgeServer(requests: PendingRequests): McpServer {
  const server = new McpServer({ name: 'lessllm-mcp-bridge', version: '1.0.0' }, { instructions });

  server.registerTool(
    'wait_for_request',
    {
      title: 'Wait for the next LLM request',
      description:
        'Returns the oldest open request that no wait_for_request call has returned yet: its id, model, system instructions, messages, ' +
        'tools, and whether its client streams. Returns at once if there is one; otherwise waits up to timeout_ms for the next request ' +
        'to arrive and returns {"request": null} if none did (then call it again). Each request is returned by one call only, so ' +
        'several agents can share the work; list_requests shows every open request.',
      inputSchema: {
        timeout_ms: z
          .number()
          .int()
          .min(0)
          .max(longestWaitMs)
          .default(defaultWaitMs)
          .describe(`How long to wait for a request to arrive, in milliseconds (0 = do not wait; at most ${longestWaitMs}).`),
        provider: providerFilter,
      },
      annotations: { readOnlyHint: false, openWorldHint: false },
    },
    async ({ timeout_ms, provider }, extra) => {
      const pending = await requests.waitForNew(timeout_ms, extra.signal, provider);
      // The MCP client left while this call waited: the result would be lost with its connection.
      if (pending && extra.signal.aborted) requests.redeliver(pending);
      return result({ request: pending ? viewOfRequest(pending) : null, more_waiting: requests.countUndelivered(provider) });
    },
  );

  server.registerTool(
    'list_requests',
    {
      title: 'List open LLM requests',
      description:
        'Lists every open request, oldest first, without waiting: those waiting for an answer (state "waiting") and those being ' +
        'answered in chunks (state "answering"), including requests already returned by wait_for_request. Each shows how long is ' +
        'left to answer (answer_within_ms).',
      inputSchema: { provider: providerFilter },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ provider }) => result({ requests: requests.list(provider).map((pending) => viewOfRequest(pending)) }),
  );

  server.registerTool(
    'answer_request',
    {
      title: 'Answer an LLM request',
      description:
        "Answers an open request as the assistant, with text and/or tool calls; the application receives it in its own API's format. " +
        'Send the whole answer at once (done: true, the default), or in chunks: done: false sends this chunk to the waiting ' +
        'application immediately (streaming clients see it at once) and keeps the request open for the next chunk; the last call ' +
        'has done: true (it may carry no text). The finish reason is tool_calls if any tool call was sent, else stop. Tool calls ' +
        'must name tools the request offers.',
      inputSchema: {
        id: z.string().describe('The request id, from wait_for_request or list_requests.'),
        text: z.string().optional().describe('Assistant text to send (appended to what earlier chunks sent).'),
        tool_calls: z.array(toolCallSchema).optional().describe('Tool calls to make, after the text of this chunk.'),
        done: z.boolean().default(true).describe('true: this completes the answer. false: more chunks follow.'),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async ({ id, text, tool_calls, done }) =>
      refusalsAsErrors(() => {
        const toolCalls = (tool_calls ?? []).map(parseToolCall);
        const pending = requests.answer(id, { text: text ?? '', toolCalls }, done);
        return result({ id, status: pending.isOpen ? 'open' : 'answered', chunks_sent: pending.chunksSent, output_tokens: pending.outputTokens() });
      }),
  );

  server.registerTool(
    'fail_request',
    {
      title: 'Fail an LLM request',
      description:
        'Ends an open request with an error carrying this message: an HTTP 500 error in its API\'s format if nothing was answered yet, ' +
        'otherwise an error event that ends its stream.',
      inputSchema: {
        id: z.string().describe('The request id, from wait_for_request or list_requests.'),
        message: z.string().min(1).describe('Why the request cannot be answered; the application sees it as the error message.'),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async ({ id, message }) =>
      refusalsAsErrors(() => {
        requests.fail(id, message);
        return result({ id, status: 'failed' });
      }),
  );

  return server;
}

function parseToolCall(call: z.infer<typeof toolCallSchema>): ToolCallAnswer {
  if (typeof call.arguments !== 'string') return { id: call.id, name: call.name, arguments: call.arguments };
  let parsed: unknown;
  try {
    parsed = JSON.parse(call.arguments);
  } catch (error) {
    throw new BridgeRefusal(`The arguments of tool call "${call.name}" are not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BridgeRefusal(`The arguments of tool call "${call.name}" must be a JSON object.`);
  }
  return { id: call.id, name: call.name, arguments: parsed as Record<string, unknown> };
}

/** A refusal becomes a tool error the MCP client can read and act on; anything else is a bug and propagates. */
function refusalsAsErrors(run: () => CallToolResult): CallToolResult {
  try {
    return run();
  } catch (error) {
    if (error instanceof BridgeRefusal) return { isError: true, content: [{ type: 'text', text: error.message }] };
    throw error;
  }
}

/** Structured content for programs, and the same JSON as text for clients (and models) that read only text. */
function result(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: value };
}
