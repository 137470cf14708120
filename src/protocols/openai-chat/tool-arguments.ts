/**
 * OpenAI carries tool-call arguments as a JSON string; the canonical form holds the parsed value
 * (Anthropic's `tool_use.input` is an object). A client's bad JSON is the client's error; an upstream's
 * bad JSON (a reply cut off by max_tokens) is kept as text rather than thrown away.
 */
import { invalidRequest } from '../../core/gateway-error.ts';
import { parseJsonSafely } from '../../core/sse.ts';

/** Arguments from a client's request: `""` means no arguments; anything but a JSON object is refused. */
export function parseClientToolArguments(text: string, param: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  const parsed = parseJsonSafely(text);
  if (!parsed.ok) throw invalidRequest(`${param}: expected a JSON object, got invalid JSON (${parsed.error})`, param);
  if (!isPlainObject(parsed.value)) throw invalidRequest(`${param}: expected a JSON object`, param);
  return parsed.value;
}

/** Arguments from an upstream's reply; the same convention as the stream accumulator uses for cut-off JSON. */
export function parseUpstreamToolArguments(text: string): unknown {
  if (text.trim() === '') return {};
  const parsed = parseJsonSafely(text);
  return parsed.ok ? parsed.value : { _partial_json: text };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
