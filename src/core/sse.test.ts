import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createEventBoundarySplitter, createSseTap, type SseMessage } from './sse.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

function forwardAll(chunks: string[]): { forwarded: string; held: number } {
  const splitter = createEventBoundarySplitter();
  let forwarded = '';
  for (const chunk of chunks) forwarded += text(splitter.complete(bytes(chunk)));
  return { forwarded, held: splitter.held() };
}

describe('event boundary splitter', () => {
  it('says where each event of a block ends, for LF, CR and CRLF, a CRLF split across chunks included', () => {
    const splitter = createEventBoundarySplitter();
    const block = splitter.complete(bytes('data: a\n\ndata: b\r\rdata: c\r\n\r'));
    assert.equal(text(block), 'data: a\n\ndata: b\r\rdata: c\r\n\r');
    assert.deepEqual(splitter.eventEnds(), [9, 18, 28]);
    // `data: c` ended at its final CR; the LF that follows in the next chunk still belongs to it.
    assert.equal(text(splitter.complete(bytes('\ndata: d\n\ndata: e'))), '\ndata: d\n\n');
    assert.deepEqual(splitter.eventEnds(), [1, 10]);
  });

  it('forwards each event as soon as its empty line arrives', () => {
    const splitter = createEventBoundarySplitter();
    assert.equal(text(splitter.complete(bytes('data: 1\n\ndata: 2'))), 'data: 1\n\n');
    assert.equal(text(splitter.complete(bytes('\n'))), '');
    assert.equal(text(splitter.complete(bytes('\nevent: x\n'))), 'data: 2\n\n');
    assert.equal(splitter.held(), 'event: x\n'.length);
  });

  it('understands CRLF and lone CR line endings, also split between chunks', () => {
    assert.deepEqual(forwardAll(['data: 1\r\n\r\ndata: 2\r', '\n\r', '\n']), { forwarded: 'data: 1\r\n\r\ndata: 2\r\n\r\n', held: 0 });
    assert.deepEqual(forwardAll(['data: 1\r\rdata: 2\r\r']), { forwarded: 'data: 1\r\rdata: 2\r\r', held: 0 });
  });

  it('holds back an event the upstream never finished', () => {
    assert.deepEqual(forwardAll(['data: {"a":1}\n\n', 'data: {"tru']), { forwarded: 'data: {"a":1}\n\n', held: 'data: {"tru'.length });
  });

  it('forwards exactly the bytes of the complete events, whatever the chunking (property)', () => {
    const event = fc.record({
      name: fc.option(fc.constantFrom('message', 'ping', 'content_block_delta'), { nil: undefined }),
      data: fc.string({ maxLength: 40 }).map((value) => value.replace(/[\r\n]/g, ' ')),
      ending: fc.constantFrom('\n', '\r\n', '\r'),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 7 }), { maxLength: 30 }), (events, cuts) => {
        const stream = events.map(({ name, data, ending }) => `${name ? `event: ${name}${ending}` : ''}data: ${data}${ending}${ending}`).join('');
        const chunks: string[] = [];
        let offset = 0;
        for (const cut of cuts) {
          if (offset >= stream.length) break;
          chunks.push(stream.slice(offset, offset + cut));
          offset += cut;
        }
        if (offset < stream.length) chunks.push(stream.slice(offset));
        const { forwarded, held } = forwardAll(chunks);
        // A trailing lone CR may still become CRLF, so the LF-free endings are complete only up to it.
        assert.equal(forwarded + stream.slice(forwarded.length), stream);
        assert.ok(held === 0 || stream.endsWith('\r'), `held ${held} bytes of a complete stream`);
        // What was forwarded parses into the same events as the whole stream.
        const parsed = (input: string) => {
          const messages: SseMessage[] = [];
          const tap = createSseTap((message) => messages.push(message));
          tap.feed(bytes(input));
          tap.end();
          return messages;
        };
        assert.deepEqual(parsed(forwarded), parsed(stream));
      }),
      { numRuns: 300 },
    );
  });
});
