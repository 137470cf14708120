import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capJson, capJsonText, utf8Length } from './json-cap.ts';

const bytes = (text: string) => new TextEncoder().encode(text).byteLength;

describe('size-capped JSON', () => {
  it('keeps a body that fits exactly as received, byte for byte', () => {
    const raw = '{ "model" : "gpt-4.1",\n "messages": [] }';
    assert.deepEqual(capJsonText(raw, () => JSON.parse(raw), 1024), { text: raw, truncated: false });
  });

  it('shortens the long strings inside a body that does not fit, keeping it valid JSON under the budget', () => {
    const body = {
      model: 'gpt-4.1',
      messages: [
        { role: 'system', content: 'short instructions' },
        { role: 'user', content: 'x'.repeat(50_000) },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${'A'.repeat(80_000)}` } }] },
      ],
    };
    const capped = capJsonText(JSON.stringify(body), () => body, 4096);
    assert.equal(capped.truncated, true);
    assert.ok(bytes(capped.text) <= 4096, `${bytes(capped.text)} bytes`);
    const parsed = JSON.parse(capped.text);
    assert.equal(parsed.model, 'gpt-4.1');
    assert.equal(parsed.messages[0].content, 'short instructions', 'short strings survive untouched');
    assert.match(parsed.messages[1].content, /^x+…\[\d+ more characters\]$/);
    assert.ok(parsed.messages[1].content.length > 500, 'as much as fits is kept');
  });

  it('never splits a character that takes two UTF-16 units', () => {
    const capped = capJson({ text: '😀'.repeat(10_000) }, 2048);
    assert.ok(bytes(capped.text) <= 2048);
    const text: string = JSON.parse(capped.text).text;
    const kept = text.slice(0, text.indexOf('…'));
    assert.equal(kept, '😀'.repeat(kept.length / 2));
  });

  it('never cuts inside an escape or between the halves of an escaped character, at any budget', () => {
    const cases = [
      { text: '\n'.repeat(3000), unit: '\n' },
      { text: '\u0001'.repeat(1000), unit: '\u0001' },
      { text: 'say "hi" '.repeat(500), unit: 'say "hi" ' },
    ];
    for (const { text, unit } of cases) {
      for (let maxBytes = 200; maxBytes < 420; maxBytes += 7) {
        const capped = capJson({ text }, maxBytes);
        assert.ok(bytes(capped.text) <= maxBytes, `${bytes(capped.text)} > ${maxBytes}`);
        const kept: string = JSON.parse(capped.text).text;
        const whole = kept.slice(0, kept.indexOf('…'));
        assert.ok(unit.repeat(Math.ceil(whole.length / unit.length)).startsWith(whole), JSON.stringify(whole.slice(-12)));
      }
    }
    // Strings that end in a backslash: their closing quote follows an escaped backslash, not an escape.
    const paths = { a: 'C:\\dir\\', b: 'y'.repeat(5000), c: 'end\\\\', d: 'z'.repeat(5000) };
    const cutPaths = JSON.parse(capJson(paths, 1024).text);
    assert.deepEqual([cutPaths.a, cutPaths.c], [paths.a, paths.c]);
    assert.match(cutPaths.d, /^z+…\[\d+ more characters\]$/);
    // Keys are never cut, however long: only values are.
    const longKey = 'k'.repeat(3000);
    const keyed = JSON.parse(capJson({ [longKey]: 'v'.repeat(20_000), other: 'w'.repeat(20_000) }, 8192).text);
    assert.deepEqual(Object.keys(keyed), [longKey, 'other']);
    assert.match(keyed[longKey], /^v+…\[\d+ more characters\]$/);
    // An emoji written as two \u escapes, as some encoders send it.
    const escaped = `{"text":"${'\\ud83d\\ude00'.repeat(2000)}"}`;
    for (let maxBytes = 300; maxBytes < 360; maxBytes++) {
      const capped = capJsonText(escaped, () => JSON.parse(escaped), maxBytes);
      const kept: string = JSON.parse(capped.text).text;
      const whole = kept.slice(0, kept.indexOf('…'));
      assert.equal(whole, '😀'.repeat(whole.length / 2), `at ${maxBytes} bytes`);
    }
  });

  it('keeps the formatting of a body as received, and drops it when the whitespace is what makes it big', () => {
    const body = { model: 'gpt-4.1', messages: [{ role: 'user', content: 'x'.repeat(20_000) }] };
    const pretty = JSON.stringify(body, null, 2);
    const capped = capJsonText(pretty, () => body, 2048);
    assert.ok(capped.text.startsWith('{\n  "model": "gpt-4.1",\n  "messages": [\n'), capped.text.slice(0, 40));
    assert.ok(bytes(capped.text) <= 2048 && bytes(capped.text) > 1900);

    const numbers = { values: Array.from({ length: 2000 }, (_, index) => index) };
    const spread = JSON.stringify(numbers, null, 8);
    const compacted = capJsonText(spread, () => numbers, 10_000);
    assert.deepEqual(compacted, { text: JSON.stringify(numbers), truncated: true });
  });

  it('falls back to a small valid object with a preview when strings are not what makes it big', () => {
    const many = Array.from({ length: 5000 }, (_, index) => ({ index }));
    const capped = capJson(many, 1024);
    assert.equal(capped.truncated, true);
    assert.ok(bytes(capped.text) <= 1024);
    const parsed = JSON.parse(capped.text);
    assert.equal(parsed.truncated, true);
    assert.equal(parsed.original_bytes, bytes(JSON.stringify(many)));
    assert.ok(parsed.preview.startsWith('[{"index":0}'));
  });

  it('keeps text that is not JSON when it fits, and previews it when it does not', () => {
    assert.equal(capJsonText('upstream said no', () => JSON.parse('upstream said no'), 1024).text, 'upstream said no');
    const capped = capJsonText('<html>'.repeat(1000), () => JSON.parse('<html>'), 1024);
    assert.ok(JSON.parse(capped.text).preview.startsWith('<html>'));
  });

  it('keeps about as much as the largest fitting cut, whatever the strings are made of', () => {
    // Trying every limit finds the largest that fits; the computed limit must come close. Strings full of
    // escapes, emoji, lone surrogates and whitespace outside the strings throw its size estimate off.
    const exhaustive = (value: unknown, maxBytes: number) => {
      let low = 16;
      let high = Math.max(...collectLengths(value)) - 1;
      let best = 0;
      while (low <= high) {
        const limit = Math.floor((low + high) / 2);
        const size = bytes(JSON.stringify(value, (_key, item) => (typeof item === 'string' && item.length > limit ? item.slice(0, limit) + '…[' + (item.length - limit) + ' more characters]' : item)));
        if (size <= maxBytes) {
          best = size;
          low = limit + 1;
        } else high = limit - 1;
      }
      return best;
    };
    const pieces = ['plain words ', 'say "hi"\n', '\\path\\to', 'naïve ', '€', '😀', '\ud800', '\u0001', '\t'];
    let seed = 7;
    const random = (below: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % below);
    const text = (length: number) => Array.from({ length }, () => pieces[random(pieces.length)]).join('');
    for (let trial = 0; trial < 40; trial++) {
      const value = {
        model: 'gpt-4.1',
        messages: Array.from({ length: 1 + random(12) }, (_, index) => ({ role: index % 2 ? 'assistant' : 'user', content: text(20 + random(3000)) })),
        tools: Array.from({ length: random(4) }, (_, index) => ({ name: `tool_${index}`, description: text(random(200)) })),
      };
      const pretty = random(2) === 1;
      const raw = JSON.stringify(value, null, pretty ? 2 : undefined);
      const maxBytes = 2048 + random(40_000);
      if (bytes(raw) <= maxBytes) continue;
      // As received (its size measured), and as a value only (its size computed, without the escapes).
      for (const [how, capped] of [
        ['text', capJsonText(raw, () => value, maxBytes)],
        ['value', capJson(value, maxBytes)],
      ] as const) {
        const size = bytes(capped.text);
        assert.ok(size <= maxBytes, `trial ${trial} (${how}): ${size} > ${maxBytes}`);
        const parsed = JSON.parse(capped.text);
        if (parsed.preview !== undefined) {
          assert.equal(exhaustive(value, maxBytes), 0, `trial ${trial} (${how}): previewed although a cut fits`);
          continue;
        }
        assert.equal(parsed.model, 'gpt-4.1');
        assert.equal(parsed.messages.length, value.messages.length);
        const reference = exhaustive(value, maxBytes);
        assert.ok(size >= reference - maxBytes / 16, `trial ${trial} (${how}): kept ${size} bytes of ${maxBytes}, trying every limit keeps ${reference}`);
      }
    }
  });

  it('counts UTF-8 bytes like TextEncoder does', () => {
    for (const text of ['', 'abc', 'é', '€', '😀', 'a😀é€\u0000', '\ud800 lone surrogate']) {
      assert.equal(utf8Length(text), bytes(text), JSON.stringify(text));
    }
  });
});

function collectLengths(value: unknown): number[] {
  if (typeof value === 'string') return [value.length];
  if (value === null || typeof value !== 'object') return [0];
  return Object.values(value).flatMap(collectLengths);
}
