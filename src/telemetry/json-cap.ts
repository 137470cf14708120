/**
 * JSON text that fits a byte budget and is still valid JSON. Cutting the text anywhere would leave a body
 * no tool can parse; instead its longest string values are shortened (each marked with how much was cut;
 * object keys are kept whole) until the whole fits. A text that does not fit even then becomes a small
 * object with a preview of its start.
 *
 * The cut works on the JSON text itself: one pass finds where the long string literals are, their sizes
 * give the largest length every longer literal can keep, and the result is built from slices of the
 * text. Cutting a parsed copy instead meant serialising it again for each try (a coding agent's
 * conversation: 516 µs for its messages, 299 for its body as received, most of the agent's telemetry).
 * A body as received keeps its formatting. Lengths count the literal as written in JSON: an escape such
 * as `\n` or `\"` counts two characters, `\u00e9` six.
 */
import { Buffer } from 'node:buffer';

export type CappedJson = { text: string; truncated: boolean };

/** String literals are never cut shorter than this, so what is kept stays readable. */
const shortestKeptString = 16;

/** Rounds of building a cut and measuring it, for text whose UTF-8 size can only be estimated. */
const measuredRounds = 4;

/** UTF-8 length without encoding the string (native: a JavaScript loop over the characters is 40× slower). */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function fits(text: string, maxBytes: number): boolean {
  // Most bodies are far below the budget: three bytes per UTF-16 unit is the worst case.
  return text.length * 3 <= maxBytes || utf8Length(text) <= maxBytes;
}

/** JSON text as received (e.g. a request body), kept byte for byte when it fits. */
export function capJsonText(text: string, parse: () => unknown, maxBytes: number): CappedJson {
  if (fits(text, maxBytes)) return { text, truncated: false };
  let value: unknown;
  try {
    // Only valid JSON may be cut (a cut in anything else could not be told from the text).
    value = parse();
  } catch {
    return preview(text, maxBytes);
  }
  const cut = cutLiterals(text, maxBytes);
  if (cut !== undefined) return cut;
  // What makes it big may be the whitespace between its values (a pretty-printed body).
  const compact = JSON.stringify(value) ?? 'null';
  if (compact.length >= text.length) return preview(text, maxBytes);
  if (fits(compact, maxBytes)) return { text: compact, truncated: true };
  return cutLiterals(compact, maxBytes) ?? preview(text, maxBytes);
}

export function capJson(value: unknown, maxBytes: number): CappedJson {
  const text = JSON.stringify(value) ?? 'null';
  if (fits(text, maxBytes)) return { text, truncated: false };
  return cutLiterals(text, maxBytes) ?? preview(text, maxBytes);
}

/** The string values of a JSON text longer than those always kept: where their contents start and end. */
type Literals = { starts: number[]; ends: number[]; longest: number };

/**
 * Every literal longer than `limit` cut to about `limit` characters, the largest limit whose result
 * fits `maxBytes`; undefined when even the shortest allowed cut does not fit (or the text is not JSON).
 */
function cutLiterals(text: string, maxBytes: number): CappedJson | undefined {
  const literals = longLiterals(text);
  if (literals === undefined || literals.longest <= shortestKeptString) return undefined;
  const textBytes = utf8Length(text);
  // In ASCII text a literal's bytes are its characters, and the size of a cut is known exactly.
  const bytes = textBytes === text.length ? undefined : literals.starts.map((start, index) => utf8Length(text.slice(start, literals.ends[index])));
  // Estimated sizes can miss by a few bytes; a little room spares a second round (a cut and a measure).
  let budget = bytes === undefined ? maxBytes : maxBytes - Math.ceil(maxBytes / 256);
  let highest = literals.longest - 1;
  for (let round = 0; round < measuredRounds; round++) {
    const limit = largestLimit(literals, bytes, textBytes, budget, highest);
    if (limit === undefined) return undefined;
    const cut = cutAt(text, literals, limit);
    const size = utf8Length(cut);
    if (size <= maxBytes) return { text: cut, truncated: true };
    // Estimated sizes (non-ASCII literals cut in proportion to their bytes) missed: aim lower by the miss.
    budget -= size - maxBytes;
    highest = limit - 1;
  }
  return undefined;
}

/** One pass over the text: the long literals' contents, from after the opening quote to the closing one. */
function longLiterals(text: string): Literals | undefined {
  const starts: number[] = [];
  const ends: number[] = [];
  let longest = 0;
  let position = 0;
  for (;;) {
    const open = text.indexOf('"', position);
    if (open < 0) break;
    let close = text.indexOf('"', open + 1);
    // A quote after an odd number of backslashes is part of the string.
    while (close >= 0 && backslashesBefore(text, close, open + 1) % 2 === 1) close = text.indexOf('"', close + 1);
    if (close < 0) return undefined;
    const length = close - open - 1;
    // Object keys are kept whole: only values are cut.
    if (length > shortestKeptString && !isKey(text, close + 1)) {
      starts.push(open + 1);
      ends.push(close);
      if (length > longest) longest = length;
    }
    position = close + 1;
  }
  return { starts, ends, longest };
}

/** Whether the literal that closed just before `after` is an object key: a colon follows it. */
function isKey(text: string, after: number): boolean {
  let index = after;
  while (index < text.length && isJsonWhitespace(text.charCodeAt(index))) index++;
  return text.charCodeAt(index) === colon;
}

function isJsonWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function backslashesBefore(text: string, index: number, from: number): number {
  let count = 0;
  while (index - count - 1 >= from && text.charCodeAt(index - count - 1) === backslash) count++;
  return count;
}

/**
 * The size of the text with every literal longer than `limit` cut, from the literals' sizes: exact for
 * ASCII (at most: a cut moved back out of an escape keeps less), in proportion to bytes otherwise.
 */
function estimatedSize(literals: Literals, bytes: readonly number[] | undefined, textBytes: number, limit: number): number {
  const { starts, ends } = literals;
  let total = textBytes;
  for (let index = 0; index < starts.length; index++) {
    const length = ends[index] - starts[index];
    if (length <= limit) continue;
    const literalBytes = bytes === undefined ? length : bytes[index];
    const keptBytes = bytes === undefined ? limit : Math.ceil((literalBytes * limit) / length);
    total += keptBytes + markerBytes + decimalDigits(length - limit) - literalBytes;
  }
  return total;
}

/** The largest limit up to `highest` whose estimated size fits `budget`, if any. */
function largestLimit(literals: Literals, bytes: readonly number[] | undefined, textBytes: number, budget: number, highest: number): number | undefined {
  let low = shortestKeptString;
  let high = highest;
  let best: number | undefined;
  while (low <= high) {
    const limit = Math.floor((low + high) / 2);
    if (estimatedSize(literals, bytes, textBytes, limit) <= budget) {
      best = limit;
      low = limit + 1;
    } else high = limit - 1;
  }
  return best;
}

/** The text with every literal longer than `limit` cut to at most `limit` characters and marked. */
function cutAt(text: string, literals: Literals, limit: number): string {
  const { starts, ends } = literals;
  const pieces: string[] = [];
  let copiedUpTo = 0;
  for (let index = 0; index < starts.length; index++) {
    const start = starts[index];
    const end = ends[index];
    if (end - start <= limit) continue;
    const keptEnd = safeCutEnd(text, start, start + limit);
    pieces.push(text.slice(copiedUpTo, keptEnd), cutMarker(end - keptEnd));
    copiedUpTo = end;
  }
  pieces.push(text.slice(copiedUpTo));
  return pieces.join('');
}

/**
 * Where to end the kept part of a literal starting at `start`, at `end` or just before: never inside an
 * escape (`\n`, `\u00e9`), and never after half of a character that takes two UTF-16 units (written as
 * is or as a `\ud83d` escape), which would not be valid UTF-8.
 */
function safeCutEnd(text: string, start: number, end: number): number {
  // Only an escape can hold a backslash: the nearest one before the cut tells whether the cut is inside one.
  for (let index = end - 1; index >= start && index >= end - 6; index--) {
    if (text.charCodeAt(index) !== backslash) continue;
    const escapeStart = backslashesBefore(text, index, start) % 2 === 1 ? index - 1 : index;
    const escapeLength = text.charCodeAt(escapeStart + 1) === letterU ? 6 : 2;
    if (escapeStart + escapeLength > end) end = escapeStart;
    break;
  }
  if (end > start && isHighSurrogate(text.charCodeAt(end - 1))) return end - 1;
  const escapeStart = end - 6;
  if (escapeStart >= start && text.charCodeAt(escapeStart) === backslash && text.charCodeAt(escapeStart + 1) === letterU) {
    if (backslashesBefore(text, escapeStart, start) % 2 === 0 && isHighSurrogate(Number.parseInt(text.slice(escapeStart + 2, end), 16))) return escapeStart;
  }
  return end;
}

const backslash = 0x5c;
const colon = 0x3a;
const letterU = 0x75;

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function decimalDigits(count: number): number {
  let digits = 1;
  for (let rest = count; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  return digits;
}

/** What replaces the part of a string that was cut. */
function cutMarker(count: number): string {
  return `…[${count} more characters]`;
}

/** Bytes of the marker but for its count. */
const markerBytes = utf8Length(cutMarker(0)) - decimalDigits(0);

/** Last resort: what the content started with, inside a small valid object. */
function preview(text: string, maxBytes: number): CappedJson {
  // JSON escaping can turn one character into six bytes (\u0001).
  const budget = Math.max(1, Math.floor(maxBytes / 6) - 64);
  const start = text.length > budget ? cutString(text, budget) : text;
  return { text: JSON.stringify({ truncated: true, original_bytes: utf8Length(text), preview: start }), truncated: true };
}

function cutString(value: string, limit: number): string {
  // Never split a surrogate pair: half a code point is not valid UTF-8.
  const end = isHighSurrogate(value.charCodeAt(limit - 1)) ? limit - 1 : limit;
  return value.slice(0, end) + cutMarker(value.length - end);
}
