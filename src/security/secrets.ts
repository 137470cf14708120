/**
 * Keeps upstream keys out of what lessllm answers and exports: upstream error bodies sometimes echo the
 * key they were sent, and error messages may quote a URL or header.
 */

/** Shorter strings would match ordinary text ("test", a model name) and redact it for nothing. */
const shortestRedactedSecret = 8;

export const redactedMarker = '***';

/**
 * Every occurrence of every secret (of at least 8 characters) replaced by `***`. Longest first, so a
 * secret that contains another is removed whole. Costs one `includes` per secret when none occurs.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let present: string[] | undefined;
  for (const secret of secrets) {
    if (secret.length >= shortestRedactedSecret && text.includes(secret)) (present ??= []).push(secret);
  }
  if (present === undefined) return text;
  present.sort((first, second) => second.length - first.length);
  let redacted = text;
  for (const secret of present) redacted = redacted.replaceAll(secret, redactedMarker);
  return redacted;
}
