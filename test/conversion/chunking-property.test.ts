/**
 * Property: however the network cuts a recorded stream into reads, the decoded canonical events are the
 * same as for the stream read whole (code points, CRLF and lines split anywhere). fast-check picks the
 * cut points and shrinks a failure to the fewest cuts that break it.
 */
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseSseStream, type SseMessage } from '../../src/core/sse.ts';
import type { StreamEvent } from '../../src/core/stream-events.ts';
import { transcodeAll } from '../../src/core/transcoder.ts';
import { loadFixtureBytes, streamOfPieces } from '../fixtures/load-fixture.ts';
import { cutAt } from '../support/chunking.ts';
import { protocolOfFixture, protocolsByName } from './convert.ts';

const fixtures = (['openai-chat', 'anthropic-messages'] as const).flatMap((folder) =>
  readdirSync(new URL(`../fixtures/${folder}/`, import.meta.url))
    .filter((file) => file.endsWith('.sse'))
    .map((file) => `${folder}/${file}`),
);

async function readAll(stream: ReadableStream<SseMessage>): Promise<SseMessage[]> {
  const messages: SseMessage[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return messages;
    messages.push(value);
  }
}

/** Events in comparable form: an error's identity is its kind, status and message. */
function comparable(events: StreamEvent[]): unknown[] {
  return events.map((event) =>
    event.type === 'error' ? { type: 'error', kind: event.error.kind, status: event.error.status, message: event.error.message } : event,
  );
}

async function decodePieces(name: string, pieces: Uint8Array[]): Promise<unknown[]> {
  const messages = await readAll(parseSseStream(streamOfPieces(pieces)));
  return comparable(transcodeAll(protocolsByName[protocolOfFixture(name)].createStreamDecoder(), messages));
}

describe('decoding is independent of how the bytes were cut', () => {
  for (const fixture of fixtures) {
    it(`${fixture}: random cuts decode to the same events as the whole stream`, async () => {
      const bytes = await loadFixtureBytes(fixture);
      for (const lineEnding of ['\n', '\r\n']) {
        const variant = lineEnding === '\n' ? bytes : new TextEncoder().encode(new TextDecoder().decode(bytes).split('\n').join('\r\n'));
        const expected = await decodePieces(fixture, [variant]);
        assert.ok(expected.length > 2, 'the fixture decodes to events');
        await fc.assert(
          fc.asyncProperty(fc.array(fc.integer({ min: 1, max: variant.length - 1 }), { maxLength: 200 }), async (positions) => {
            assert.deepEqual(await decodePieces(fixture, cutAt(variant, positions)), expected);
          }),
          { numRuns: 40 },
        );
      }
    });
  }
});
