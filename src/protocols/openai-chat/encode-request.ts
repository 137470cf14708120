/**
 * Canonical request → OpenAI Chat Completions request body, for an OpenAI-compatible upstream. The body
 * holds only fields OpenAI defines (strict upstreams reject the rest, e.g. Anthropic's `cache_control`,
 * which the canonical form does not have), and tool names go out exactly as the client wrote them.
 */
import type {
  CanonicalRequest,
  CanonicalTool,
  ReasoningRequest,
  ResponseFormat,
  ToolChoice,
} from '../../core/canonical-request.ts';
import { assertNever } from '../../core/stream-events.ts';
import type { RequestEncoderOptions } from '../protocol.ts';
import { encodeMessages } from './encode-messages.ts';
import { acceptsReasoningEffort, usesMaxCompletionTokens } from './model-family.ts';
import type { OpenAiReasoningEffort, OpenAiResponseFormat, OpenAiTool, OpenAiToolChoice } from './wire-types.ts';

/** OpenAI accepts at most four stop sequences. */
const maxStopSequences = 4;

export function encodeRequest(request: CanonicalRequest, _options?: RequestEncoderOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { model: request.model, messages: encodeMessages(request) };

  // max_tokens is optional for OpenAI, so the default from the options is not needed.
  if (request.maxTokens !== undefined) {
    body[usesMaxCompletionTokens(request.model) ? 'max_completion_tokens' : 'max_tokens'] = request.maxTokens;
  }
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stopSequences !== undefined && request.stopSequences.length > 0) {
    body.stop = request.stopSequences.slice(0, maxStopSequences);
  }
  if (request.userId !== undefined) body.user = request.userId;
  if (request.stream) {
    body.stream = true;
    // Always: the gateway needs usage for telemetry and the client's format (Anthropic's message_delta
    // carries it). Whether the client sees the usage chunk is the client-side encoder's decision.
    body.stream_options = { include_usage: true };
  }

  const tools = request.tools ?? [];
  if (tools.length > 0) body.tools = tools.map(encodeTool);
  if (request.toolChoice !== undefined) body.tool_choice = encodeToolChoice(request.toolChoice);
  // OpenAI refuses parallel_tool_calls without tools.
  if (request.parallelToolCalls === false && tools.length > 0) body.parallel_tool_calls = false;

  const effort = request.reasoning === undefined ? undefined : reasoningEffortOf(request.reasoning);
  if (effort !== undefined && acceptsReasoningEffort(request.model)) body.reasoning_effort = effort;
  if (request.responseFormat !== undefined) body.response_format = encodeResponseFormat(request.responseFormat);
  if (request.choiceCount !== undefined) body.n = request.choiceCount;
  return body;
}

function encodeTool(tool: CanonicalTool): OpenAiTool {
  const definition: OpenAiTool['function'] = { name: tool.name, parameters: tool.inputSchema };
  if (tool.description !== undefined) definition.description = tool.description;
  if (tool.strict !== undefined) definition.strict = tool.strict;
  return { type: 'function', function: definition };
}

function encodeToolChoice(choice: ToolChoice): OpenAiToolChoice {
  switch (choice.type) {
    case 'auto':
    case 'none':
    case 'required':
      return choice.type;
    case 'tool':
      return { type: 'function', function: { name: choice.name } };
    default:
      return assertNever(choice);
  }
}

/** An explicit effort wins; a token budget (Anthropic thinking) maps onto the nearest effort. */
export function reasoningEffortOf(reasoning: ReasoningRequest): OpenAiReasoningEffort | undefined {
  if (reasoning.effort !== undefined) return reasoning.effort;
  const budget = reasoning.budgetTokens;
  if (budget === undefined) return undefined;
  if (budget <= 1024) return 'low';
  if (budget <= 4096) return 'medium';
  return 'high';
}

function encodeResponseFormat(format: ResponseFormat): OpenAiResponseFormat {
  switch (format.type) {
    case 'text':
      return { type: 'text' };
    case 'json-object':
      return { type: 'json_object' };
    case 'json-schema': {
      const jsonSchema: { name: string; schema: Record<string, unknown>; strict?: boolean } = {
        name: format.name,
        schema: format.schema,
      };
      if (format.strict !== undefined) jsonSchema.strict = format.strict;
      return { type: 'json_schema', json_schema: jsonSchema };
    }
    default:
      return assertNever(format);
  }
}
