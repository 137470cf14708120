/**
 * An OpenAI `chat.completion` body from an upstream → the canonical response. Only the first choice is
 * read (a converted request never asks for more). DeepSeek/vLLM put the model's reasoning in
 * `reasoning_content` (OpenRouter in `reasoning`); it becomes a reasoning part ahead of the answer.
 */
import type { AssistantPart } from '../../core/canonical-request.ts';
import { emptyUsage, type CanonicalResponse } from '../../core/canonical-response.ts';
import { GatewayError } from '../../core/gateway-error.ts';
import { decodeStreamError } from './errors.ts';
import { decodeFinishReason } from './finish-reason.ts';
import { generateToolCallId } from './ids.ts';
import { isPlainObject, parseUpstreamToolArguments } from './tool-arguments.ts';
import { decodeUsage } from './usage.ts';

export function decodeResponse(body: unknown): CanonicalResponse {
  if (!isPlainObject(body)) throw malformed('it is not a JSON object');
  const choice = Array.isArray(body.choices) ? body.choices[0] : undefined;
  // Some servers answer HTTP 200 with an error body; that is an error, not an empty reply.
  if (choice === undefined && isPlainObject(body.error)) throw decodeStreamError(body.error);
  if (!isPlainObject(choice) || !isPlainObject(choice.message)) throw malformed('it has no choices[0].message');

  const content = decodeMessageContent(choice.message);
  const hasToolCalls = content.some((part) => part.type === 'tool-call');
  const rawFinish = typeof choice.finish_reason === 'string' ? choice.finish_reason : null;
  const usage = decodeUsage(body.usage);
  const response: CanonicalResponse = {
    id: typeof body.id === 'string' ? body.id : '',
    model: typeof body.model === 'string' ? body.model : '',
    content,
    finish: decodeFinishReason(rawFinish, hasToolCalls),
    usage: { ...emptyUsage(), ...usage },
    usageReported: usage !== undefined,
  };
  if (typeof body.created === 'number') response.created = body.created;
  return response;
}

function decodeMessageContent(message: Record<string, unknown>): AssistantPart[] {
  const parts: AssistantPart[] = [];
  const reasoning = nonEmptyString(message.reasoning_content) ?? nonEmptyString(message.reasoning);
  if (reasoning !== undefined) parts.push({ type: 'reasoning', text: reasoning });

  const text = textOf(message.content);
  if (text !== '') parts.push({ type: 'text', text });
  // A refusal is the model's answer, said in words.
  const refusal = nonEmptyString(message.refusal);
  if (refusal !== undefined) parts.push({ type: 'text', text: refusal });

  if (Array.isArray(message.tool_calls)) {
    for (const call of message.tool_calls) {
      if (!isPlainObject(call) || !isPlainObject(call.function)) continue;
      parts.push(toolCallPart(call.id, call.function));
    }
  }
  if (isPlainObject(message.function_call)) parts.push(toolCallPart(undefined, message.function_call));
  return parts;
}

function toolCallPart(id: unknown, wireFunction: Record<string, unknown>): AssistantPart {
  return {
    type: 'tool-call',
    id: nonEmptyString(id) ?? generateToolCallId(),
    name: typeof wireFunction.name === 'string' ? wireFunction.name : '',
    input: parseUpstreamToolArguments(typeof wireFunction.arguments === 'string' ? wireFunction.arguments : ''),
  };
}

/** `content` is a string for OpenAI; some compatible servers send text parts instead. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) if (isPlainObject(part) && typeof part.text === 'string') text += part.text;
  return text;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function malformed(reason: string): GatewayError {
  return new GatewayError('bad_gateway', `the upstream sent a malformed chat.completion: ${reason}`);
}
