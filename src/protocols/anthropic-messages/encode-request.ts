/**
 * The canonical request → an Anthropic Messages request body (an OpenAI client reaching an Anthropic
 * upstream), per CONVERSION.md §1. Parameters Anthropic rejects in combination are resolved here so the
 * upstream never answers 400 for something the client could not have known about.
 */
import type { CanonicalRequest, CanonicalTool, ReasoningEffort, ResponseFormat } from '../../core/canonical-request.ts';
import { GatewayError } from '../../core/gateway-error.ts';
import { assertNever } from '../../core/stream-events.ts';
import type { RequestEncoderOptions } from '../protocol.ts';
import { encodeMessages, type EncodedMessage } from './encode-messages.ts';
import type { AnthropicTool, AnthropicToolChoice } from './wire-types.ts';

/** Anthropic's smallest accepted thinking budget. */
const minimumThinkingBudget = 1024;

function budgetOfEffort(effort: ReasoningEffort | undefined): number | undefined {
  switch (effort) {
    case undefined:
    case 'none':
    case 'minimal':
      return undefined;
    case 'low':
      return 1024;
    case 'medium':
      return 2048;
    case 'high':
      return 4096;
    default:
      return assertNever(effort);
  }
}

export function encodeRequest(request: CanonicalRequest, options: RequestEncoderOptions): Record<string, unknown> {
  if ((request.choiceCount ?? 1) > 1) {
    throw new GatewayError('invalid_request', 'Anthropic models return one choice per request: n must be 1.', { param: 'n' });
  }
  const messages = encodeMessages(request.messages);
  const body: Record<string, unknown> = { model: request.model };
  const system = encodeSystem(request);
  if (system !== '') body.system = system;
  body.messages = messages;

  const { maxTokens, thinkingBudget } = planThinking(request, options.defaultMaxTokens, messages);
  body.max_tokens = maxTokens;
  const thinking = thinkingBudget !== undefined;
  if (thinking) body.thinking = { type: 'enabled', budget_tokens: thinkingBudget };

  // With thinking on, Anthropic rejects temperature and top_k, and top_p outside [0.95, 1].
  if (request.temperature !== undefined && !thinking) body.temperature = Math.min(1, Math.max(0, request.temperature));
  // Current Claude models reject temperature and top_p together; temperature is the one clients mean.
  if (request.topP !== undefined && body.temperature === undefined) {
    body.top_p = thinking ? Math.min(1, Math.max(0.95, request.topP)) : request.topP;
  }
  if (request.topK !== undefined && !thinking) body.top_k = request.topK;

  const stopSequences = (request.stopSequences ?? []).filter((sequence) => sequence.trim() !== '');
  if (stopSequences.length > 0) body.stop_sequences = stopSequences;
  if (request.userId !== undefined) body.metadata = { user_id: request.userId };
  body.stream = request.stream;

  const tools = request.tools ?? [];
  // Tools stay even with tool_choice none: the history may hold tool_use blocks that need their definitions.
  if (tools.length > 0) body.tools = tools.map(encodeTool);
  const toolChoice = encodeToolChoice(request, tools.length > 0, thinking);
  if (toolChoice !== undefined) body.tool_choice = toolChoice;
  return body;
}

/** System and developer instructions joined in order, plus the JSON instruction of a response format. */
function encodeSystem(request: CanonicalRequest): string {
  const instructions = request.system.map((instruction) => instruction.text).join('\n');
  const formatInstruction = instructionForFormat(request.responseFormat);
  if (formatInstruction === undefined) return instructions;
  return instructions === '' ? formatInstruction : `${instructions}\n\n${formatInstruction}`;
}

/**
 * Best effort: Anthropic has no `response_format`. Forcing a tool named after the schema would change
 * the response shape the client sees (a tool call instead of text), so the model is asked for JSON in
 * the system prompt instead; it answers in text, as the client expects, but the schema is not enforced.
 */
function instructionForFormat(format: ResponseFormat | undefined): string | undefined {
  switch (format?.type) {
    case undefined:
    case 'text':
      return undefined;
    case 'json-object':
      return 'Respond with a single valid JSON object and nothing else: no prose, no Markdown code fences.';
    case 'json-schema':
      return (
        'Respond with a single valid JSON object and nothing else (no prose, no Markdown code fences). ' +
        `It must match this JSON Schema, named "${format.name}":\n${JSON.stringify(format.schema)}`
      );
    default:
      return assertNever(format);
  }
}

/**
 * max_tokens and the thinking budget together. Anthropic requires budget_tokens ≥ 1024 and < max_tokens
 * (CONVERSION #16). A client-set max_tokens is a limit on the whole answer, so the budget shrinks to fit
 * it (and thinking is dropped when that leaves too little); without one, the budget is added on top of
 * the default so thinking does not eat the visible answer.
 */
function planThinking(
  request: CanonicalRequest,
  defaultMaxTokens: number,
  messages: EncodedMessage[],
): { maxTokens: number; thinkingBudget?: number } {
  const requested = request.reasoning?.budgetTokens ?? budgetOfEffort(request.reasoning?.effort);
  if (requested === undefined || requested <= 0 || lastToolUseLacksThinking(messages)) {
    return { maxTokens: request.maxTokens ?? defaultMaxTokens };
  }
  const budget = Math.max(minimumThinkingBudget, requested);
  if (request.maxTokens === undefined) return { maxTokens: defaultMaxTokens + budget, thinkingBudget: budget };
  const fitted = Math.min(budget, request.maxTokens - 1);
  if (fitted < minimumThinkingBudget) return { maxTokens: request.maxTokens };
  return { maxTokens: request.maxTokens, thinkingBudget: fitted };
}

/**
 * With thinking on, Anthropic requires the last assistant turn of a tool loop to begin with its thinking
 * block ("Expected thinking or redacted_thinking, but found tool_use", CONVERSION #12). A history from a
 * client that never saw thinking (an OpenAI client) cannot supply it, so such a turn is answered without
 * thinking rather than failing.
 */
function lastToolUseLacksThinking(messages: EncodedMessage[]): boolean {
  const lastAssistant = messages.findLast((message) => message.role === 'assistant');
  if (lastAssistant === undefined || !lastAssistant.content.some((block) => block.type === 'tool_use')) return false;
  const first = lastAssistant.content[0];
  return first.type !== 'thinking' && first.type !== 'redacted_thinking';
}

function encodeTool(tool: CanonicalTool): AnthropicTool {
  // Anthropic requires an object schema; a tool without parameters gets the empty one.
  const inputSchema = Object.keys(tool.inputSchema).length === 0 ? { type: 'object', properties: {} } : tool.inputSchema;
  const encoded: AnthropicTool = { name: tool.name, input_schema: { type: 'object', ...inputSchema } };
  if (tool.description !== undefined) encoded.description = tool.description;
  return encoded;
}

function encodeToolChoice(request: CanonicalRequest, hasTools: boolean, thinking: boolean): AnthropicToolChoice | undefined {
  let choice: AnthropicToolChoice | undefined;
  const requested = request.toolChoice;
  switch (requested?.type) {
    case undefined:
      break;
    case 'auto':
      choice = { type: 'auto' };
      break;
    case 'none':
      choice = { type: 'none' };
      break;
    case 'required':
      choice = { type: 'any' };
      break;
    case 'tool':
      choice = { type: 'tool', name: requested.name };
      break;
    default:
      return assertNever(requested);
  }
  // Thinking is incompatible with a forced tool (Anthropic answers 400); letting the model choose keeps the call working.
  if (thinking && (choice?.type === 'any' || choice?.type === 'tool')) choice = { type: 'auto' };
  if (request.parallelToolCalls === false && hasTools && choice?.type !== 'none') {
    choice = { ...(choice ?? { type: 'auto' }), disable_parallel_tool_use: true };
  }
  return choice;
}
