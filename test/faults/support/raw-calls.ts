/**
 * Calls made with fetch where the exact bytes matter (how a stream ended, which status came first), and
 * the one judgement every fault case needs: did the client get a complete answer, an error it can see
 * (an HTTP error, or an in-band error event last in the stream), or a stream silently cut short?
 */
import type { RunningGateway } from '../../support/gateway.ts';
import { CLIENT_KEY } from '../../support/e2e-setup.ts';
import { parseSseText } from '../../support/stream-checks.ts';

export type ClientKind = 'openai' | 'anthropic';

export const clientKinds: ClientKind[] = ['openai', 'anthropic'];

export function clientPath(client: ClientKind): string {
  return client === 'openai' ? '/v1/chat/completions' : '/v1/messages';
}

export function chatBody(client: ClientKind, model: string, options: { stream: boolean; content?: string }): Record<string, unknown> {
  const messages = [{ role: 'user', content: options.content ?? 'Tell me something.' }];
  if (client === 'openai') return { model, messages, stream: options.stream, ...(options.stream ? { stream_options: { include_usage: true } } : {}) };
  return { model, max_tokens: 200, messages, stream: options.stream };
}

export function clientHeaders(client: ClientKind, apiKey = CLIENT_KEY): Record<string, string> {
  return client === 'openai'
    ? { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` }
    : { 'content-type': 'application/json', 'x-api-key': apiKey, 'anthropic-version': '2023-06-01' };
}

export type ChatCall = {
  client: ClientKind;
  model: string;
  stream: boolean;
  content?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
};

/** POSTs a chat request; the response is not read (the caller may want to read it piece by piece). */
export function sendChat(gateway: RunningGateway, call: ChatCall): Promise<Response> {
  return fetch(`${gateway.url}${clientPath(call.client)}`, {
    method: 'POST',
    headers: { ...clientHeaders(call.client), ...call.headers },
    body: JSON.stringify(chatBody(call.client, call.model, call)),
    signal: call.signal ?? AbortSignal.timeout(30_000),
  });
}

export type StreamEnding =
  /** `[DONE]` (OpenAI) or `message_stop` (Anthropic) last, no error event. */
  | 'complete'
  /** An in-band error event last. */
  | 'error'
  /** Neither: a stream a client cannot tell from a finished one, or one that just stopped. */
  | 'cut';

export type ReadCall = {
  status: number;
  headers: Headers;
  text: string;
  /** For a stream: how it ended; for JSON: 'complete' on 2xx, 'error' otherwise. */
  ending: StreamEnding;
  /** The text deltas the client received, joined. */
  outputText: string;
  /** Whether the stream carried a finish reason (OpenAI `finish_reason`, Anthropic `message_delta`). */
  sawFinish: boolean;
  /** The in-band or HTTP error object, as the client's API shapes it. */
  error: { type?: string; message?: string } | undefined;
  /** Set when reading the body failed (the connection was cut under the client). */
  readFailure?: unknown;
};

/** Reads the whole response; a connection cut while reading is reported, not thrown. */
export async function readCall(client: ClientKind, response: Response): Promise<ReadCall> {
  let text = '';
  let readFailure: unknown;
  try {
    text = await response.text();
  } catch (error) {
    readFailure = error;
  }
  const isStream = (response.headers.get('content-type') ?? '').startsWith('text/event-stream');
  if (!isStream) {
    const json = parseJson(text) as { error?: { type?: string; message?: string }; choices?: Array<{ message?: { content?: string } }>; content?: Array<{ text?: string }> } | undefined;
    const ok = response.status < 300 && readFailure === undefined;
    const outputText = client === 'openai' ? (json?.choices?.[0]?.message?.content ?? '') : (json?.content ?? []).map((block) => block.text ?? '').join('');
    return { status: response.status, headers: response.headers, text, ending: ok ? 'complete' : 'error', outputText, sawFinish: ok, error: json?.error, readFailure };
  }
  return { status: response.status, headers: response.headers, text, readFailure, ...judgeStream(client, text) };
}

export function judgeStream(client: ClientKind, text: string): Pick<ReadCall, 'ending' | 'outputText' | 'sawFinish' | 'error'> {
  const records = parseSseText(text);
  let outputText = '';
  let sawFinish = false;
  let error: ReadCall['error'];
  let errorLast = false;
  let completeLast = false;
  for (const record of records) {
    errorLast = false;
    completeLast = false;
    if (client === 'openai' && record.data === '[DONE]') {
      completeLast = error === undefined;
      continue;
    }
    const data = parseJson(record.data) as Record<string, any> | undefined;
    if (data?.error !== undefined) {
      error = data.error;
      errorLast = true;
      continue;
    }
    outputText += textOfEvent(client, data);
    if (client === 'openai') {
      if (data?.choices?.[0]?.finish_reason) sawFinish = true;
    } else {
      if (data?.type === 'message_delta') sawFinish = true;
      if (data?.type === 'message_stop') completeLast = true;
    }
  }
  const ending: StreamEnding = errorLast ? 'error' : completeLast ? 'complete' : 'cut';
  return { ending, outputText, sawFinish, error };
}

/** The answer text one parsed stream event carries ('' for none). */
export function textOfEvent(client: ClientKind, data: Record<string, any> | undefined): string {
  if (client === 'openai') return data?.choices?.[0]?.delta?.content ?? '';
  return data?.type === 'content_block_delta' && data.delta?.type === 'text_delta' ? data.delta.text : '';
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Waits (bounded) until the condition holds; false when it never did. */
export async function eventually(condition: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}
