/**
 * JSON text that fits a byte budget and is still valid JSON. Cutting the text would leave a body no tool
 * can parse; instead the longest strings inside the structure are shortened (each marked with how much
 * was cut) until the whole fits. A structure that does not fit even then becomes a small object with a
 * preview of its start.
 *
 * Every string longer than some limit is cut to that limit, and the limit is about the largest that fits.
 * It is computed from the strings' sizes rather than found by trying limits: trying cost a coding agent's
 * request of 136 KB 17 serialisations per text under the 64 KiB default, 4.7 ms of the event loop for the
 * request body alone. The computed size leaves out JSON escapes, so the text built at that limit is
 * measured and the limit computed again with the difference, a round or two.
 */
import { Buffer } from 'node:buffer';

export type CappedJson = { text: string; truncated: boolean };

/** Strings are never cut shorter than this, so what is kept stays readable. */
const shortestKeptString = 16;

/** Rounds of computing a limit and measuring the text it gives, before limits are tried one by one. */
const estimateRounds = 6;

/** A cut text this close under the budget is kept: another round would add little. */
const closeEnough = 1 / 16;

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
    value = parse();
  } catch {
    return preview(text, maxBytes);
  }
  const cuttable: Cuttable[] = [];
  jsonSize(value, cuttable);
  return shrink(value, utf8Length(text), cuttable, maxBytes, text);
}

export function capJson(value: unknown, maxBytes: number): CappedJson {
  const cuttable: Cuttable[] = [];
  const computedSize = jsonSize(value, cuttable);
  // When the text would be over the budget even without its escapes (a coding agent's conversation),
  // serialising it whole only to learn by how much costs more than a cut.
  if (computedSize > maxBytes) return shrink(value, computedSize, cuttable, maxBytes);
  const text = JSON.stringify(value) ?? 'null';
  if (fits(text, maxBytes)) return { text, truncated: false };
  return shrink(value, utf8Length(text), cuttable, maxBytes, text);
}

/** A string that may be cut: its length in UTF-16 units and in UTF-8 bytes. */
type Cuttable = { length: number; bytes: number };

/**
 * `value` is too big for `maxBytes` as JSON. `size` is the size of that JSON: measured when `text` (as
 * received, or serialised) is given, else computed without escapes; `cuttable` are its long strings.
 */
function shrink(value: unknown, size: number, cuttable: readonly Cuttable[], maxBytes: number, text?: string): CappedJson {
  let fitting: { limit: number; text: string } | undefined;
  let tooBig = longestOf(cuttable);
  // The computed size misses JSON escapes (they grow with what is kept), whitespace outside strings in a
  // body as received, and (when only computed) the escapes of what is not cut, so the measured size is
  // taken as a linear function of the computed one, fitted to the last two measurements. With the text,
  // the first of them is the uncut text, as big as computed; without it, the first round is only
  // corrected by its error.
  let previous = text === undefined ? undefined : { computed: size, measured: size };
  // Later rounds aim at the middle of what is close enough, so as not to overshoot; so does the first
  // when the size is only computed. From a measured size, the first aims at the budget itself: what it
  // leaves out (the escapes of the cut parts) makes it fall short, not over.
  const aim = maxBytes * (1 - closeEnough / 2);
  let budget = text === undefined ? aim : maxBytes;
  for (let round = 0; round < estimateRounds; round++) {
    const limit = largestLimit(cuttable, size, budget, (fitting?.limit ?? shortestKeptString - 1) + 1, tooBig - 1);
    if (limit === undefined) break;
    const candidate = JSON.stringify(withStringsCut(value, limit));
    const measured = utf8Length(candidate);
    if (measured <= maxBytes) {
      fitting = { limit, text: candidate };
      if (maxBytes - measured <= maxBytes * closeEnough) break;
    } else tooBig = limit;
    const computed = estimatedSize(cuttable, size, limit);
    const slope = previous && previous.computed !== computed ? (measured - previous.measured) / (computed - previous.computed) : 1;
    budget = slope > 0 ? computed + (aim - measured) / slope : aim - (measured - computed);
    previous = { computed, measured };
  }
  if (fitting) return { text: fitting.text, truncated: true };
  return shrinkByTrial(value, text ?? JSON.stringify(value) ?? 'null', maxBytes, tooBig - 1);
}

/** The size of the text with every string longer than `limit` cut to it, from the strings' sizes. */
function estimatedSize(cuttable: readonly Cuttable[], size: number, limit: number): number {
  let total = size;
  for (const { length, bytes } of cuttable) {
    if (length > limit) total += Math.ceil((bytes * limit) / length) + markerBytes + String(length - limit).length - bytes;
  }
  return total;
}

/** The largest limit from `lowest` to `highest` whose computed size fits `budget`, if any. */
function largestLimit(cuttable: readonly Cuttable[], size: number, budget: number, lowest: number, highest: number): number | undefined {
  let low = lowest;
  let high = highest;
  let best: number | undefined;
  while (low <= high) {
    const limit = Math.floor((low + high) / 2);
    if (estimatedSize(cuttable, size, limit) <= budget) {
      best = limit;
      low = limit + 1;
    } else high = limit - 1;
  }
  return best;
}

/** The exact search, one serialisation per step: for structures whose computed sizes keep missing. */
function shrinkByTrial(value: unknown, text: string, maxBytes: number, highest: number): CappedJson {
  // Strings cut as short as they may be are tried first: when even they are too long, the search is in vain.
  let best = highest >= shortestKeptString ? JSON.stringify(withStringsCut(value, shortestKeptString)) : undefined;
  if (best === undefined || !fits(best, maxBytes)) return preview(text, maxBytes);
  let low = shortestKeptString + 1;
  let high = highest;
  while (low <= high) {
    const limit = Math.floor((low + high) / 2);
    const candidate = JSON.stringify(withStringsCut(value, limit));
    if (fits(candidate, maxBytes)) {
      best = candidate;
      low = limit + 1;
    } else high = limit - 1;
  }
  return { text: best, truncated: true };
}

/**
 * The size of `value`'s JSON text but for escapes (UTF-8, no whitespace); its strings longer than those
 * always kept go to `into`. Short strings count as their UTF-16 length: a native call each would cost
 * more than the error.
 */
function jsonSize(value: unknown, into: Cuttable[]): number {
  switch (typeof value) {
    case 'string': {
      if (value.length <= shortestKeptString) return value.length + 2;
      const bytes = utf8Length(value);
      into.push({ length: value.length, bytes });
      return bytes + 2;
    }
    case 'number':
      return Number.isFinite(value) ? String(value).length : 4;
    case 'boolean':
      return value ? 4 : 5;
    case 'object': {
      if (value === null) return 4;
      if (Array.isArray(value)) {
        let size = 1 + Math.max(1, value.length);
        for (const item of value) size += item === undefined || typeof item === 'function' ? 4 : jsonSize(item, into);
        return size;
      }
      let size = 1;
      let members = 0;
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        const item = (value as Record<string, unknown>)[key];
        if (item === undefined || typeof item === 'function') continue;
        size += key.length + 3 + jsonSize(item, into);
        members++;
      }
      return size + Math.max(1, members);
    }
    default:
      return 0;
  }
}

function longestOf(cuttable: readonly Cuttable[]): number {
  let longest = 0;
  for (const { length } of cuttable) if (length > longest) longest = length;
  return longest;
}

/** Bytes of the marker `…[N more characters]` that replaces what was cut, N left out. */
const markerBytes = utf8Length('…[ more characters]');

/**
 * `value` with every string longer than `limit` cut to it. Plain JSON data only (parsed bodies, the
 * semconv messages): serialising such a copy costs less than having JSON.stringify call a replacer for
 * every value (124 against 157 µs for a coding agent's conversation).
 */
function withStringsCut(value: unknown, limit: number): unknown {
  if (typeof value === 'string') return value.length > limit ? cutString(value, limit) : value;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => withStringsCut(item, limit));
  const copy: Record<string, unknown> = {};
  for (const key in value) if (Object.hasOwn(value, key)) copy[key] = withStringsCut((value as Record<string, unknown>)[key], limit);
  return copy;
}

function cutString(value: string, limit: number): string {
  // Never split a surrogate pair: half a code point is not valid UTF-8.
  const code = value.charCodeAt(limit - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
  return `${value.slice(0, end)}…[${value.length - end} more characters]`;
}

/** Last resort: what the content started with, inside a small valid object. */
function preview(text: string, maxBytes: number): CappedJson {
  // JSON escaping can turn one character into six bytes (\u0001).
  const budget = Math.max(1, Math.floor(maxBytes / 6) - 64);
  const start = text.length > budget ? cutString(text, budget) : text;
  return { text: JSON.stringify({ truncated: true, original_bytes: utf8Length(text), preview: start }), truncated: true };
}
