/**
 * An Anthropic Messages request body (already shape-checked by schema.ts) → the canonical request.
 * Used when an Anthropic client reaches a non-Anthropic upstream, and for telemetry on passthrough.
 */
import type {
  CanonicalRequest,
  CanonicalTool,
  ReasoningEffort,
  ReasoningRequest,
  ResponseFormat,
  SystemInstruction,
  ToolChoice,
} from '../../core/canonical-request.ts';
import { invalidRequest } from '../../core/gateway-error.ts';
import { decodeMessages } from './decode-messages.ts';
import { isJsonObject, numberOrUndefined, quotedForError, stringOrUndefined, type JsonObject } from './guards.ts';

export function decodeRequest(body: Record<string, unknown>): CanonicalRequest {
  const request: CanonicalRequest = {
    model: String(body.model),
    system: decodeSystem(body.system),
    messages: decodeMessages(Array.isArray(body.messages) ? body.messages : []),
    stream: body.stream === true,
    // Anthropic streams always carry usage; there is nothing to ask for.
    streamUsageRequested: false,
  };
  const maxTokens = numberOrUndefined(body.max_tokens);
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  const temperature = numberOrUndefined(body.temperature);
  if (temperature !== undefined) request.temperature = temperature;
  const topP = numberOrUndefined(body.top_p);
  if (topP !== undefined) request.topP = topP;
  const topK = numberOrUndefined(body.top_k);
  if (topK !== undefined) request.topK = topK;
  if (Array.isArray(body.stop_sequences)) {
    request.stopSequences = body.stop_sequences.filter((sequence): sequence is string => typeof sequence === 'string');
  }
  const userId = isJsonObject(body.metadata) ? stringOrUndefined(body.metadata.user_id) : undefined;
  if (userId !== undefined) request.userId = userId;
  if (Array.isArray(body.tools)) request.tools = body.tools.map(decodeTool);
  if (isJsonObject(body.tool_choice)) {
    request.toolChoice = decodeToolChoice(body.tool_choice);
    if (body.tool_choice.disable_parallel_tool_use === true) request.parallelToolCalls = false;
  }
  const outputConfig = isJsonObject(body.output_config) ? body.output_config : {};
  const reasoning = decodeReasoning(body.thinking, outputConfig.effort);
  if (reasoning !== undefined) request.reasoning = reasoning;
  const responseFormat = decodeResponseFormat(outputConfig.format);
  if (responseFormat !== undefined) request.responseFormat = responseFormat;
  return request;
}

/** A string or text blocks; `cache_control` means nothing to other upstreams and is dropped. */
function decodeSystem(system: unknown): SystemInstruction[] {
  if (typeof system === 'string') return system === '' ? [] : [{ text: system, origin: 'system' }];
  if (!Array.isArray(system)) return [];
  return system
    .filter((block): block is JsonObject => isJsonObject(block) && typeof block.text === 'string')
    .map((block) => ({ text: block.text as string, origin: 'system' as const }));
}

function decodeTool(tool: unknown, index: number): CanonicalTool {
  const path = `tools[${index}]`;
  if (!isJsonObject(tool)) throw invalidRequest(`${path} must be a tool object.`, path);
  const isServerTool = tool.type !== undefined && tool.type !== 'custom' && !isJsonObject(tool.input_schema);
  if (isServerTool) {
    throw invalidRequest(
      `${path} is an Anthropic server tool (type ${quotedForError(tool.type)}); it runs only on Anthropic's servers, ` +
        "so it cannot be used with this model's upstream.",
      path,
    );
  }
  if (!isJsonObject(tool.input_schema)) throw invalidRequest(`${path}.input_schema must be a JSON Schema object.`, `${path}.input_schema`);
  const decoded: CanonicalTool = { name: String(tool.name), inputSchema: tool.input_schema };
  if (typeof tool.description === 'string') decoded.description = tool.description;
  return decoded;
}

function decodeToolChoice(choice: JsonObject): ToolChoice {
  switch (choice.type) {
    case 'any':
      return { type: 'required' };
    case 'tool':
      if (typeof choice.name !== 'string') throw invalidRequest('tool_choice.name must name the tool to use.', 'tool_choice.name');
      return { type: 'tool', name: choice.name };
    case 'none':
      return { type: 'none' };
    default:
      return { type: 'auto' };
  }
}

/** Anthropic's effort levels above `high` have no counterpart elsewhere; `high` is the nearest. */
function decodeEffort(effort: unknown): ReasoningEffort | undefined {
  switch (effort) {
    case 'low':
    case 'medium':
    case 'high':
      return effort;
    case 'xhigh':
    case 'max':
      return 'high';
    default:
      return undefined;
  }
}

function decodeReasoning(thinking: unknown, effortValue: unknown): ReasoningRequest | undefined {
  const effort = decodeEffort(effortValue);
  const type = isJsonObject(thinking) ? thinking.type : undefined;
  if (type === 'enabled' && isJsonObject(thinking)) {
    const budgetTokens = numberOrUndefined(thinking.budget_tokens);
    if (budgetTokens === undefined) {
      throw invalidRequest('thinking.budget_tokens is required when thinking is enabled.', 'thinking.budget_tokens');
    }
    return effort === undefined ? { budgetTokens } : { budgetTokens, effort };
  }
  // Adaptive thinking lets the model decide how much to think; Anthropic's default effort is high.
  if (type === 'adaptive') return { effort: effort ?? 'high' };
  if (type === 'disabled') return undefined;
  return effort === undefined ? undefined : { effort };
}

function decodeResponseFormat(format: unknown): ResponseFormat | undefined {
  if (!isJsonObject(format) || format.type !== 'json_schema' || !isJsonObject(format.schema)) return undefined;
  return { type: 'json-schema', name: 'response', schema: format.schema };
}
