/**
 * JSON text that fits a byte budget and is still valid JSON. Cutting the text would leave a body no tool
 * can parse; instead the longest strings inside the structure are shortened (each marked with how much
 * was cut) until the whole fits. A structure that does not fit even then becomes a small object with a
 * preview of its start.
 */

export type CappedJson = { text: string; truncated: boolean };

/** Strings are never cut shorter than this, so what is kept stays readable. */
const shortestKeptString = 16;

/** UTF-8 length without encoding the string (no allocation). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length) {
      bytes += 4;
      index++;
    } else bytes += 3;
  }
  return bytes;
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
  return shrink(value, text, maxBytes);
}

export function capJson(value: unknown, maxBytes: number): CappedJson {
  const text = JSON.stringify(value) ?? 'null';
  if (fits(text, maxBytes)) return { text, truncated: false };
  return shrink(value, text, maxBytes);
}

function shrink(value: unknown, fullText: string, maxBytes: number): CappedJson {
  const longest = longestString(value);
  if (longest <= shortestKeptString) return preview(fullText, maxBytes);
  // Binary search for the largest per-string limit that fits.
  let low = shortestKeptString;
  let high = longest - 1;
  let best: string | undefined;
  while (low <= high) {
    const limit = Math.floor((low + high) / 2);
    const candidate = JSON.stringify(value, stringLimiter(limit));
    if (fits(candidate, maxBytes)) {
      best = candidate;
      low = limit + 1;
    } else high = limit - 1;
  }
  return best === undefined ? preview(fullText, maxBytes) : { text: best, truncated: true };
}

function stringLimiter(limit: number): (key: string, value: unknown) => unknown {
  return (_key, value) => (typeof value === 'string' && value.length > limit ? cutString(value, limit) : value);
}

function cutString(value: string, limit: number): string {
  // Never split a surrogate pair: half a code point is not valid UTF-8.
  const code = value.charCodeAt(limit - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
  return `${value.slice(0, end)}…[${value.length - end} more characters]`;
}

function longestString(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (value === null || typeof value !== 'object') return 0;
  let longest = 0;
  for (const item of Array.isArray(value) ? value : Object.values(value)) longest = Math.max(longest, longestString(item));
  return longest;
}

/** Last resort: what the content started with, inside a small valid object. */
function preview(text: string, maxBytes: number): CappedJson {
  // JSON escaping can turn one character into six bytes (\u0001).
  const budget = Math.max(1, Math.floor(maxBytes / 6) - 64);
  const start = text.length > budget ? cutString(text, budget) : text;
  return { text: JSON.stringify({ truncated: true, original_bytes: utf8Length(text), preview: start }), truncated: true };
}
