/**
 * Server-sent events on web streams. Parsing is eventsource-parser's (a spec-complete parser: CRLF,
 * lines split across reads, multi-line data, comments); UTF-8 decoding is the platform's streaming
 * TextDecoder, so a code point split across two network reads is joined, never turned into U+FFFD.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { EventSourceParserStream } from 'eventsource-parser/stream';

export type SseMessage = EventSourceMessage;

/** Bytes of an SSE response → one message per event. An unfinished event at the end is dropped, per spec. */
export function parseSseStream(body: ReadableStream<Uint8Array>): ReadableStream<SseMessage> {
  return body.pipeThrough(new TextDecoderStream() as ReadableWritablePair<string, Uint8Array>).pipeThrough(new EventSourceParserStream());
}

/**
 * A push parser for reading a copy of bytes that are forwarded untouched (passthrough): feed it each
 * chunk as it passes, and it calls `onMessage` for every complete event.
 */
export function createSseTap(onMessage: (message: SseMessage) => void): {
  feed(chunk: Uint8Array): void;
  /** Flushes the decoder; a trailing unterminated event is dropped, as a client would drop it. */
  end(): void;
} {
  const decoder = new TextDecoder();
  const parser = createParser({ onEvent: onMessage });
  return {
    feed(chunk) {
      parser.feed(decoder.decode(chunk, { stream: true }));
    },
    end() {
      parser.feed(decoder.decode());
    },
  };
}

/** One SSE event as text. `data` must not contain a newline (JSON.stringify never emits one). */
export function formatSse(data: string, event?: string): string {
  return event === undefined ? `data: ${data}\n\n` : `event: ${event}\ndata: ${data}\n\n`;
}

/** Parses JSON from an upstream without throwing: a malformed chunk becomes a value the caller reports. */
export function parseJsonSafely(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
