/**
 * Property-based fuzzing of the SSE stack (src/core/sse.ts) and both protocols' stream decoders, on
 * generated streams (sse-streams.ts) rather than the recorded fixtures that
 * test/conversion/chunking-property.test.ts already cuts up:
 * - however the bytes are cut (inside UTF-8 code points, between CR and LF, one byte at a time), the
 *   canonical events equal those of the whole input read at once, by both parsers the gateway uses
 *   (parseSseStream for converted routes, createSseTap for passthrough);
 * - the reply survives intact: text, reasoning and tool arguments joined equal what was generated;
 * - a stream cut off before its terminal event ends in an error event, never in a quiet "complete";
 * - the event-boundary splitter forwards every byte exactly once, only whole events;
 * - hostile streams (garbage, truncated JSON, huge lines) never make push/end throw, and the events
 *   still keep the canonical order rules, ending in a finish or exactly one error.
 */
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEventBoundarySplitter, createSseTap, parseSseStream, type SseMessage } from '../../src/core/sse.ts';
import type { StreamEvent } from '../../src/core/stream-events.ts';
import { transcodeAll } from '../../src/core/transcoder.ts';
import { anthropicMessagesProtocol } from '../../src/protocols/anthropic-messages/index.ts';
import { openAiChatProtocol } from '../../src/protocols/openai-chat/index.ts';
import type { ProtocolName } from '../../src/protocols/protocol.ts';
import { concatBytes, cutAt } from '../support/chunking.ts';
import { streamOfPieces } from '../fixtures/load-fixture.ts';
import { cutsOf, hostileStream, validStream, type GeneratedStream } from './sse-streams.ts';

const runs = Number(process.env.LESSLLM_FUZZ_RUNS ?? 2000) / 4;
const testTimeoutMs = 60_000;
const seed = process.env.LESSLLM_FUZZ_SEED === undefined ? undefined : Number(process.env.LESSLLM_FUZZ_SEED);
const protocols = { 'openai-chat': openAiChatProtocol, 'anthropic-messages': anthropicMessagesProtocol } as const;

async function messagesByStream(pieces: Uint8Array[]): Promise<SseMessage[]> {
  const messages: SseMessage[] = [];
  const reader = parseSseStream(streamOfPieces(pieces)).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return messages;
    messages.push(value);
  }
}

function messagesByTap(pieces: Uint8Array[]): SseMessage[] {
  const messages: SseMessage[] = [];
  const tap = createSseTap((message) => messages.push(message));
  for (const piece of pieces) tap.feed(piece);
  tap.end();
  return messages;
}

function decode(protocol: ProtocolName, messages: SseMessage[]): StreamEvent[] {
  return transcodeAll(protocols[protocol].createStreamDecoder(), messages);
}

/**
 * Events in comparable form: an error's identity is its kind, status and message. With `generatedIds`,
 * ids the decoder had to make up (the upstream sent none) are left out: they are random by design.
 */
function comparable(events: StreamEvent[], generatedIds = false): unknown[] {
  return events.map((event) => {
    if (event.type === 'error') return { type: 'error', kind: event.error.kind, status: event.error.status, message: event.error.message };
    if (generatedIds && (event.type === 'message-start' || event.type === 'tool-call-start')) return { ...event, id: undefined };
    return event;
  });
}

function joined(events: StreamEvent[], type: 'text-delta' | 'reasoning-delta'): string {
  return events.flatMap((event) => (event.type === type ? [event.text] : [])).join('');
}

/** The canonical order rules of core/stream-events.ts, which every encoder relies on. */
function assertCanonicalOrder(events: StreamEvent[]): void {
  const starts = events.filter((event) => event.type === 'message-start').length;
  assert.ok(starts <= 1, 'more than one message-start');
  const errors = events.filter((event) => event.type === 'error').length;
  assert.ok(errors <= 1, `${errors} error events`);
  if (errors === 1) assert.equal(events.at(-1)!.type, 'error', 'events after the error');
  assert.ok(events.filter((event) => event.type === 'finish').length <= 1, 'more than one finish');
  let toolsStarted = 0;
  let finished = false;
  events.forEach((event, position) => {
    if (event.type !== 'message-start' && event.type !== 'error') assert.equal(events[0].type, 'message-start', `${event.type} before message-start`);
    if (event.type === 'message-start') assert.equal(position, 0, 'message-start is not first');
    if (event.type === 'tool-call-start') assert.equal(event.index, toolsStarted++, 'tool indices are not dense in order');
    if (event.type === 'tool-call-delta') assert.ok(event.index < toolsStarted, 'a tool delta before its start');
    if (finished) assert.ok(event.type === 'usage' || event.type === 'error', `${event.type} after finish`);
    if (event.type === 'finish') finished = true;
  });
  // A stream ends after its finish (and usage) or with one error: never just stops.
  const last = events.filter((event) => event.type !== 'usage').at(-1);
  assert.ok(last?.type === 'finish' || last?.type === 'error', `the decoded stream ends with ${last?.type ?? 'nothing'}`);
}

function assertReplyIntact(stream: GeneratedStream, events: StreamEvent[]): void {
  const expect = (kind: 'text' | 'reasoning') =>
    stream.parts.flatMap((part) => (part.kind === kind ? part.pieces : [])).join('');
  assert.equal(joined(events, 'text-delta'), expect('text'));
  assert.equal(joined(events, 'reasoning-delta'), expect('reasoning'));
  const tools = stream.parts.filter((part) => part.kind === 'tool');
  const starts = events.filter((event) => event.type === 'tool-call-start');
  assert.deepEqual(starts.map((event) => event.name), tools.map((tool) => tool.name));
  tools.forEach((tool, ordinal) => {
    const argumentsText = events.flatMap((event) => (event.type === 'tool-call-delta' && event.index === ordinal ? [event.argumentsDelta] : [])).join('');
    assert.equal(argumentsText, tool.pieces.join(''), `tool call ${ordinal} arguments`);
  });
  assert.ok(!events.some((event) => event.type === 'error'), 'a valid stream decoded to an error');
}

for (const protocol of ['openai-chat', 'anthropic-messages'] as const) {
  describe(`${protocol} stream decoder on generated streams`, () => {
    it('decodes any cutting of the bytes into the events of the whole stream, and the reply intact', { timeout: testTimeoutMs }, async () => {
      await fc.assert(
        fc.asyncProperty(validStream(protocol).chain((stream) => fc.tuple(fc.constant(stream), cutsOf(stream.bytes.length))), async ([stream, cuts]) => {
          const reference = decode(protocol, await messagesByStream([stream.bytes]));
          assertReplyIntact(stream, reference);
          assertCanonicalOrder(reference);
          const pieces = cutAt(stream.bytes, cuts);
          assert.deepEqual(comparable(decode(protocol, await messagesByStream(pieces))), comparable(reference), 'parseSseStream, cut');
          assert.deepEqual(comparable(decode(protocol, messagesByTap(pieces))), comparable(reference), 'createSseTap, cut');
        }),
        { numRuns: runs, seed },
      );
    });

    it('ends a stream cut off before its terminal event with an error, and one cut after it without', { timeout: testTimeoutMs }, async () => {
      const cutOff = validStream(protocol).chain((stream) => fc.tuple(fc.constant(stream), fc.integer({ min: 0, max: stream.bytes.length }), cutsOf(stream.bytes.length)));
      await fc.assert(
        fc.asyncProperty(cutOff, async ([stream, length, cuts]) => {
          const pieces = cutAt(stream.bytes.subarray(0, length), cuts);
          for (const events of [decode(protocol, await messagesByStream(pieces)), decode(protocol, messagesByTap(pieces))]) {
            assertCanonicalOrder(events);
            const endedInError = events.at(-1)?.type === 'error';
            if (length < stream.terminal.errorBefore) assert.ok(endedInError, `cut at ${length} of ${stream.bytes.length} bytes, before the terminal event, yet no error`);
            if (length >= stream.terminal.completeFrom) assert.ok(!endedInError, `cut at ${length}, after the terminal event, yet an error`);
          }
        }),
        { numRuns: runs, seed },
      );
    });

    it('survives hostile streams: push and end never throw, and the events keep the canonical order', { timeout: testTimeoutMs }, async () => {
      await fc.assert(
        fc.asyncProperty(hostileStream.chain((bytes) => fc.tuple(fc.constant(bytes), cutsOf(bytes.length))), async ([bytes, cuts]) => {
          const pieces = cutAt(bytes, cuts);
          const whole = decode(protocol, await messagesByStream([bytes]));
          assertCanonicalOrder(whole);
          assert.deepEqual(comparable(decode(protocol, await messagesByStream(pieces)), true), comparable(whole, true));
          assert.deepEqual(comparable(decode(protocol, messagesByTap(pieces)), true), comparable(whole, true));
        }),
        { numRuns: runs, seed },
      );
    });
  });
}

// Found by this fuzzer: CR alone is a line ending in SSE, so `…\r\r` ends an event; but a CR that is
// the last byte so far might still be followed by LF, and the parser waits, so the last event of a
// CR-only stream was lost and the reply reported as cut off (and passthrough appended an error to it).
describe('a stream with CR line endings that ends right after its last event', () => {
  const lastEvent = 'data: {"type":"message_stop"}\r\r';
  it('keeps that event, through parseSseStream and createSseTap', async () => {
    const bytes = new TextEncoder().encode(`data: {"type":"ping"}\r\r${lastEvent}`);
    assert.deepEqual((await messagesByStream([bytes])).map((message) => message.data), ['{"type":"ping"}', '{"type":"message_stop"}']);
    assert.deepEqual(messagesByTap([bytes]).map((message) => message.data), ['{"type":"ping"}', '{"type":"message_stop"}']);
  });
});

describe('event-boundary splitter on generated streams', () => {
  it('forwards every byte once, in whole events only, however the bytes were cut and wherever the stream stops', { timeout: testTimeoutMs }, async () => {
    const streams = fc.oneof(validStream('openai-chat'), validStream('anthropic-messages')).map((stream) => stream.bytes);
    const cutOff = fc.oneof(streams, hostileStream).chain((bytes) => fc.tuple(fc.constant(bytes), fc.integer({ min: 0, max: bytes.length }), cutsOf(bytes.length)));
    await fc.assert(
      fc.asyncProperty(cutOff, async ([bytes, length, cuts]) => {
        const input = bytes.subarray(0, length);
        const splitter = createEventBoundarySplitter();
        const forwarded: Uint8Array[] = [];
        for (const piece of cutAt(input, cuts)) {
          const complete = splitter.complete(piece);
          if (complete.length > 0) {
            const lastByte = complete[complete.length - 1];
            assert.ok(lastByte === 0x0a || lastByte === 0x0d, 'forwarded bytes that do not end a line');
            forwarded.push(complete.slice());
          }
        }
        const sent = concatBytes(forwarded);
        assert.deepEqual(concatBytes([sent, splitter.takeHeld()]), input, 'bytes lost, doubled or reordered');
        // What was forwarded holds exactly the events the input completed: the held rest is one unfinished event.
        assert.deepEqual(await messagesByStream([sent]), await messagesByStream([input]));
      }),
      { numRuns: runs, seed },
    );
  });
});
