/**
 * What the benchmark upstream answers, in both wire formats: a complete JSON body, or the SSE events of
 * a stream (one event per token, usage at the end, as OpenAI and Anthropic send them).
 *
 * The shape of the answer is chosen by the model name, because the model is the one thing every gateway
 * forwards unchanged: `…-c200` streams 200 content chunks, `…-f20` waits 20 ms before the first one,
 * `…-d2` waits 2 ms between chunks. E.g. `gpt-bench-c200-f20-d2`. Defaults: 20 chunks, no waiting.
 */

export type Wire = 'openai' | 'anthropic';

export type AnswerShape = { chunks: number; firstTokenDelayMs: number; interTokenDelayMs: number };

export const inputTokens = 12;
const created = 1_700_000_000;
const encoder = new TextEncoder();

export function answerShapeOf(model: string): AnswerShape {
  const shape: AnswerShape = { chunks: 20, firstTokenDelayMs: 0, interTokenDelayMs: 0 };
  for (const part of model.split('-')) {
    const value = Number(part.slice(1));
    if (part.length < 2 || !Number.isFinite(value) || value < 0) continue;
    if (part[0] === 'c') shape.chunks = Math.min(10_000, Math.max(1, Math.floor(value)));
    else if (part[0] === 'f') shape.firstTokenDelayMs = value;
    else if (part[0] === 'd') shape.interTokenDelayMs = value;
  }
  return shape;
}

export function isPaced(shape: AnswerShape): boolean {
  return shape.firstTokenDelayMs > 0 || shape.interTokenDelayMs > 0;
}

/**
 * The text of one token. Paced streams carry the upstream's clock at the moment the chunk was written
 * (` w<ms since the epoch>`), so a client can tell how long each chunk spent in the gateway; the first
 * token also carries the moment the request reached the upstream (` r<ms> w<ms>`), so a client can take
 * the upstream's own wait before its first token out of the time to first token.
 */
export function tokenText(sentAtMs: number | undefined, requestArrivedAtMs?: number): string {
  if (sentAtMs === undefined) return ' tok';
  const arrived = requestArrivedAtMs === undefined ? '' : ` r${requestArrivedAtMs.toFixed(3)}`;
  return `${arrived} w${sentAtMs.toFixed(3)}`;
}

/** Reads the upstream's send time back out of a token's text; undefined for unstamped tokens. */
export function sentAtOf(text: string): number | undefined {
  return stampOf(text, ' w');
}

/** Reads the moment the request reached the upstream out of a first token's text; undefined elsewhere. */
export function requestArrivedAtOf(text: string): number | undefined {
  return stampOf(text, ' r');
}

function stampOf(text: string, marker: ' w' | ' r'): number | undefined {
  const start = text.indexOf(marker);
  if (start === -1) return undefined;
  const end = text.indexOf(' ', start + 2);
  const value = Number(text.slice(start + 2, end === -1 ? undefined : end));
  return Number.isFinite(value) ? value : undefined;
}

export function completeBody(wire: Wire, model: string, shape: AnswerShape): string {
  const text = tokenText(undefined).repeat(shape.chunks);
  if (wire === 'openai') {
    return JSON.stringify({
      id: 'chatcmpl-bench',
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: inputTokens, completion_tokens: shape.chunks, total_tokens: inputTokens + shape.chunks },
    });
  }
  return JSON.stringify({
    id: 'msg_bench',
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: inputTokens, output_tokens: shape.chunks },
  });
}

/** One SSE event as bytes: an optional `event:` line, one `data:` line, a blank line. */
function sseEvent(data: string, eventName?: string): Uint8Array {
  const lines = eventName === undefined ? ['data: ' + data, '', ''] : ['event: ' + eventName, 'data: ' + data, '', ''];
  return encoder.encode(lines.join('\n'));
}

/** The events a stream opens with, before any content. */
export function streamHead(wire: Wire, model: string): Uint8Array[] {
  if (wire === 'openai') {
    return [sseEvent(JSON.stringify(openAiChunk(model, { role: 'assistant', content: '' }, null)))];
  }
  return [
    sseEvent(
      JSON.stringify({
        type: 'message_start',
        message: {
          id: 'msg_bench',
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: inputTokens, output_tokens: 1 },
        },
      }),
      'message_start',
    ),
    sseEvent(JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }), 'content_block_start'),
    sseEvent(JSON.stringify({ type: 'ping' }), 'ping'),
  ];
}

export function streamToken(wire: Wire, model: string, text: string): Uint8Array {
  if (wire === 'openai') return sseEvent(JSON.stringify(openAiChunk(model, { content: text }, null)));
  return sseEvent(JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }), 'content_block_delta');
}

/** The events after the last token: finish reason, usage, end of stream. */
export function streamTail(wire: Wire, model: string, outputTokens: number, includeUsage: boolean): Uint8Array[] {
  if (wire === 'openai') {
    const events = [sseEvent(JSON.stringify(openAiChunk(model, {}, 'stop')))];
    if (includeUsage) {
      const usage = { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens };
      events.push(sseEvent(JSON.stringify({ ...openAiChunk(model, {}, null), choices: [], usage })));
    }
    events.push(sseEvent('[DONE]'));
    return events;
  }
  return [
    sseEvent(JSON.stringify({ type: 'content_block_stop', index: 0 }), 'content_block_stop'),
    sseEvent(
      JSON.stringify({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: outputTokens } }),
      'message_delta',
    ),
    sseEvent(JSON.stringify({ type: 'message_stop' }), 'message_stop'),
  ];
}

function openAiChunk(model: string, delta: Record<string, unknown>, finishReason: string | null) {
  return {
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
}
