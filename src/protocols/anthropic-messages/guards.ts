/** Narrowing helpers for JSON of unknown shape (request bodies, upstream responses). */

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A finite number, or undefined for anything else (absent, null, wrong type). */
export function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * A wire value as an error message quotes it: its JSON, cut after 40 characters. Never `String(value)`:
 * an object whose "toString" key holds anything but a function cannot be made a string that way, and
 * the TypeError became a 500 (a fuzzed request found it).
 */
export function quotedForError(value: unknown): string {
  const json = JSON.stringify(value) ?? 'undefined';
  return json.length > 40 ? `${json.slice(0, 40)}…` : json;
}
