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
  const toLineFeeds = createLineEndNormalizer();
  return body
    .pipeThrough(new TextDecoderStream() as ReadableWritablePair<string, Uint8Array>)
    .pipeThrough(new TransformStream<string, string>({ transform: (text, controller) => controller.enqueue(toLineFeeds(text)) }))
    .pipeThrough(new EventSourceParserStream());
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
  const toLineFeeds = createLineEndNormalizer();
  return {
    feed(chunk) {
      parser.feed(toLineFeeds(decoder.decode(chunk, { stream: true })));
    },
    end() {
      parser.feed(toLineFeeds(decoder.decode()));
    },
  };
}

/**
 * CR and CRLF line ends → LF, across chunk boundaries. SSE allows all three, but the parser mishandles
 * lone CRs that arrive in separate chunks (events lost; found by the fuzz suite), and it holds a final CR
 * waiting for an LF that never comes. Text without a CR — nearly every real stream — passes untouched.
 */
function createLineEndNormalizer(): (text: string) => string {
  let previousEndedWithCarriageReturn = false;
  return (text) => {
    if (text.length === 0) return text;
    const endedWithCarriageReturn = previousEndedWithCarriageReturn;
    previousEndedWithCarriageReturn = text.charCodeAt(text.length - 1) === 13;
    // The LF of a CRLF whose CR ended the previous chunk (and became an LF already).
    const rest = endedWithCarriageReturn && text.charCodeAt(0) === 10 ? text.slice(1) : text;
    return rest.includes('\r') ? rest.replace(/\r\n?/g, '\n') : rest;
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

const lineFeed = 0x0a;
const carriageReturn = 0x0d;

/**
 * Splits forwarded SSE bytes at event boundaries (an empty line, with any of the spec's line endings:
 * LF, CR or CRLF), so a passthrough forwards each event as soon as it is complete and holds back only an
 * unfinished one. A client's parser cannot use half an event anyway, so this costs no latency; and when
 * the upstream stops mid-event, the fragment is dropped (as a client would drop it) and a clean in-band
 * error can follow, instead of one glued onto half a line.
 */
export function createEventBoundarySplitter(): {
  /** The bytes up to the last complete event so far; the rest is held. */
  complete(chunk: Uint8Array): Uint8Array;
  /** Where each event in the last block `complete` returned ends (exclusive offsets, ascending). */
  eventEnds(): readonly number[];
  /** Number of bytes held back: the start of an event not finished yet. */
  held(): number;
  /** Hands over (and forgets) the held bytes, at the end of the stream. */
  takeHeld(): Uint8Array;
} {
  const nothing = new Uint8Array(0);
  let pending: Uint8Array = nothing;
  // Scan state at the end of what has been scanned (all of `pending`).
  let atLineStart = true;
  let lastWasCarriageReturn = false;
  let carriageReturnEndedEmptyLine = false;
  let ends: number[] = [];

  /** Hands out the bytes up to and including `boundary` (the last complete event's end) and holds the rest. */
  const cut = (bytes: Uint8Array, boundary: number): Uint8Array => {
    if (boundary < 0) {
      pending = bytes;
      return nothing;
    }
    pending = boundary + 1 === bytes.byteLength ? nothing : bytes.slice(boundary + 1);
    return boundary + 1 === bytes.byteLength ? bytes : bytes.subarray(0, boundary + 1);
  };

  return {
    complete(chunk) {
      const bytes = pending.byteLength === 0 ? chunk : concat(pending, chunk);
      let boundary = -1;
      ends = [];
      const from = pending.byteLength;
      if (!lastWasCarriageReturn && bytes.indexOf(carriageReturn, from) === -1) {
        // LF only, as nearly every upstream sends: jump from line end to line end (indexOf is native,
        // several times faster than looking at every byte here).
        let lineStart = from;
        for (let lineFeedAt = bytes.indexOf(lineFeed, from); lineFeedAt !== -1; lineFeedAt = bytes.indexOf(lineFeed, lineStart)) {
          if (lineFeedAt === lineStart && atLineStart) {
            boundary = lineFeedAt;
            ends.push(lineFeedAt + 1);
          }
          atLineStart = true;
          lineStart = lineFeedAt + 1;
        }
        if (lineStart < bytes.byteLength) atLineStart = false;
        carriageReturnEndedEmptyLine = false;
        return cut(bytes, boundary);
      }
      for (let index = from; index < bytes.byteLength; index++) {
        const byte = bytes[index];
        if (byte === lineFeed && lastWasCarriageReturn) {
          // The LF of a CRLF: the CR already ended the line; if that line was empty, the event ends here.
          if (carriageReturnEndedEmptyLine) {
            // The event already ended at the CR; it now ends one byte later, with its LF (a CRLF split
            // across chunks leaves this LF alone, a piece of the previous event).
            boundary = index;
            if (ends.length === 0) ends.push(index + 1);
            else ends[ends.length - 1] = index + 1;
          }
          lastWasCarriageReturn = false;
          carriageReturnEndedEmptyLine = false;
        } else if (byte === lineFeed || byte === carriageReturn) {
          const endsEmptyLine = atLineStart;
          if (endsEmptyLine) {
            boundary = index;
            ends.push(index + 1);
          }
          atLineStart = true;
          lastWasCarriageReturn = byte === carriageReturn;
          carriageReturnEndedEmptyLine = lastWasCarriageReturn && endsEmptyLine;
        } else {
          atLineStart = false;
          lastWasCarriageReturn = false;
          carriageReturnEndedEmptyLine = false;
        }
      }
      return cut(bytes, boundary);
    },
    eventEnds() {
      return ends;
    },
    held() {
      return pending.byteLength;
    },
    takeHeld() {
      const held = pending;
      pending = nothing;
      return held;
    },
  };
}

function concat(first: Uint8Array, second: Uint8Array): Uint8Array {
  const joined = new Uint8Array(first.byteLength + second.byteLength);
  joined.set(first, 0);
  joined.set(second, first.byteLength);
  return joined;
}
