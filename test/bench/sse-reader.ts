/**
 * The benchmark client's view of a response: an incremental SSE reader (events may be split across
 * reads anywhere) and what a response must contain to count as a complete answer in either protocol.
 */
import { requestArrivedAtOf, sentAtOf, type Wire } from './upstream-answers.ts';

export type SseEvent = { event: string | undefined; data: string };

export class SseReader {
  private pending = '';
  private eventName: string | undefined;
  private dataLines: string[] = [];

  /** Feeds decoded text; returns the events it completed. */
  push(text: string): SseEvent[] {
    this.pending += text;
    const events: SseEvent[] = [];
    let lineStart = 0;
    for (;;) {
      const newline = this.pending.indexOf('\n', lineStart);
      if (newline === -1) break;
      let line = this.pending.slice(lineStart, newline);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      lineStart = newline + 1;
      if (line === '') {
        if (this.dataLines.length > 0) events.push({ event: this.eventName, data: this.dataLines.join('\n') });
        this.eventName = undefined;
        this.dataLines = [];
      } else if (line.startsWith('data:')) {
        this.dataLines.push(line.slice(line[5] === ' ' ? 6 : 5));
      } else if (line.startsWith('event:')) {
        this.eventName = line.slice(line[6] === ' ' ? 7 : 6);
      }
    }
    this.pending = this.pending.slice(lineStart);
    return events;
  }
}

/** The text of a content delta in this event, if it carries one. */
export function contentOf(wire: Wire, event: SseEvent): string | undefined {
  if (event.data === '[DONE]') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(event.data);
  } catch {
    return undefined;
  }
  if (wire === 'openai') {
    const choice = (parsed as { choices?: { delta?: { content?: unknown } }[] }).choices?.[0];
    const content = choice?.delta?.content;
    return typeof content === 'string' && content !== '' ? content : undefined;
  }
  const delta = (parsed as { type?: string; delta?: { type?: string; text?: unknown } }).delta;
  return (parsed as { type?: string }).type === 'content_block_delta' && typeof delta?.text === 'string' ? delta.text : undefined;
}

export type StreamTally = { contentChunks: number; sawUsage: boolean; sawEnd: boolean; errorText: string | undefined };

export function emptyTally(): StreamTally {
  return { contentChunks: 0, sawUsage: false, sawEnd: false, errorText: undefined };
}

/** Notes what one event says about the stream's completeness. Returns the content text, if any. */
export function tallyEvent(wire: Wire, event: SseEvent, tally: StreamTally): string | undefined {
  if (event.data === '[DONE]') {
    tally.sawEnd = true;
    return undefined;
  }
  if (event.data.includes('"usage"')) tally.sawUsage = true;
  if (event.event === 'error' || event.data.startsWith('{"error"')) tally.errorText ??= event.data.slice(0, 200);
  if (wire === 'anthropic' && event.data.includes('"message_stop"')) tally.sawEnd = true;
  const content = contentOf(wire, event);
  if (content !== undefined) tally.contentChunks++;
  return content;
}

/**
 * Why a complete response is not the answer the upstream sent, or undefined when it is. `usageAsked`: false
 * for a stream whose client did not ask for usage (OpenAI's `include_usage`), which then has none.
 */
export async function checkResponse(response: Response, wire: Wire, stream: boolean, expectedChunks: number, usageAsked = true): Promise<string | undefined> {
  const text = await response.text();
  if (response.status !== 200) return `HTTP ${response.status}: ${text.slice(0, 160)}`;
  if (!stream) {
    let body: { choices?: { message?: { content?: string } }[]; content?: { text?: string }[]; usage?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return `not JSON: ${text.slice(0, 120)}`;
    }
    const content = wire === 'openai' ? body.choices?.[0]?.message?.content : body.content?.[0]?.text;
    const tokens = (content ?? '').split(' tok').length - 1;
    if (tokens !== expectedChunks) return `expected ${expectedChunks} tokens in the answer, got ${tokens}`;
    if (body.usage === undefined) return 'no usage in the answer';
    return undefined;
  }
  const reader = new SseReader();
  const tally = emptyTally();
  for (const event of reader.push(text + '\n\n')) tallyEvent(wire, event, tally);
  if (tally.errorText !== undefined) return `in-band error: ${tally.errorText}`;
  if (tally.contentChunks !== expectedChunks) return `expected ${expectedChunks} content chunks, got ${tally.contentChunks}`;
  if (tally.sawUsage !== usageAsked) return usageAsked ? 'no usage in the stream' : 'usage in a stream whose client did not ask for it';
  if (!tally.sawEnd) return 'the stream never ended ([DONE] / message_stop missing)';
  return undefined;
}

export { requestArrivedAtOf, sentAtOf };
