/** Ids and timestamps for responses lessllm writes itself, when the upstream gave none. */

export function generateCompletionId(): string {
  return `chatcmpl-${crypto.randomUUID().replaceAll('-', '')}`;
}

export function generateToolCallId(): string {
  return `call_${crypto.randomUUID().replaceAll('-', '').slice(0, 24)}`;
}

/** OpenAI's `created`: Unix seconds. */
export function nowInSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
