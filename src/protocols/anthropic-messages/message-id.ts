/** Anthropic message ids start with `msg_`; clients and SDK helpers may rely on it. */
export function toMessageId(upstreamId: string): string {
  if (upstreamId.startsWith('msg_')) return upstreamId;
  if (upstreamId !== '') return `msg_${upstreamId}`;
  return `msg_${crypto.randomUUID().replaceAll('-', '')}`;
}
