/**
 * The built-in mock provider: answers any model in either protocol with deterministic text at a set
 * time to first token and pace, so streaming, traces and metrics can be seen (and benchmarked) with no
 * API key. Every text delta is exactly one token, so the usage it reports is exact.
 *
 * Directives in the last user message steer it (see README "The mock provider"):
 *   mock:error=<status>     fail before streaming with that HTTP status
 *   mock:error=midstream    fail in-band after a few tokens
 *   mock:tool / mock:tools  call the first / every tool of the request
 *   mock:tokens=<n>         answer with n tokens
 */
import type { MockProviderConfig } from '../config/gateway-config.ts';
import type { CanonicalRequest, CanonicalTool } from '../core/canonical-request.ts';
import type { FinishInfo } from '../core/canonical-response.ts';
import { errorKindFromStatus, GatewayError } from '../core/gateway-error.ts';
import type { StreamEvent } from '../core/stream-events.ts';
import { requestTokenTexts } from '../core/token-count.ts';
import { tokenCounter } from '../core/token-counter.ts';

/** Each of these is a single o200k token (checked by the mock's tests), so deltas count exactly. */
const words = (
  ' The quick brown fox jumps over the lazy dog while a gentle wind moves through tall green grass' +
  ' near the quiet river and the sun slowly sets behind distant hills as birds return home'
).split(/(?= )/);

const tokensBeforeMidstreamError = 3;

type Directives = { errorStatus?: number; midstreamError: boolean; tools: 'none' | 'first' | 'all'; tokens?: number };

export function parseDirectives(request: CanonicalRequest): Directives {
  const directives: Directives = { midstreamError: false, tools: 'none' };
  const lastUser = request.messages.findLast((message) => message.role === 'user');
  const text = lastUser?.content.map((part) => (part.type === 'text' ? part.text : '')).join(' ') ?? '';
  for (const [, name, value] of text.matchAll(/mock:(error|tools?|tokens)(?:=([\w-]+))?/g)) {
    if (name === 'error' && value === 'midstream') directives.midstreamError = true;
    else if (name === 'error' && value && /^\d{3}$/.test(value)) directives.errorStatus = Number(value);
    else if (name === 'tool') directives.tools = 'first';
    else if (name === 'tools') directives.tools = 'all';
    else if (name === 'tokens' && value && /^\d+$/.test(value)) directives.tokens = Number(value);
  }
  return directives;
}

/**
 * Starts a mock answer. Throws a GatewayError for `mock:error=<status>` (before any byte, like an
 * upstream refusing the request); otherwise returns the answer as a timed stream of canonical events.
 */
export function runMock(provider: MockProviderConfig, request: CanonicalRequest): ReadableStream<StreamEvent> {
  const directives = parseDirectives(request);
  if (directives.errorStatus !== undefined) throw simulatedError(directives.errorStatus);

  const startedAt = performance.now();
  // Counted on the counting thread meanwhile: the first count of a process loads the tokenizer (0.2–0.4 s).
  const inputTokens = tokenCounter.count(requestTokenTexts(request));
  let events: PlannedEvent[] | undefined;
  const tokenInterval = provider.tokensPerSecond > 0 ? 1000 / provider.tokensPerSecond : 0;
  let next = 0;
  let contentTokensSent = 0;
  let cancelled = false;
  let wake: (() => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const sleep = (milliseconds: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, milliseconds);
    });

  return new ReadableStream<StreamEvent>({
    async pull(controller) {
      events ??= plannedEvents(provider, request, directives, await inputTokens);
      // One pull sends everything up to the end, sleeping until each token is due.
      while (next < events.length && !cancelled) {
        const { event, token } = events[next];
        if (token) {
          const dueAt = startedAt + provider.ttftMs + contentTokensSent * tokenInterval;
          const wait = dueAt - performance.now();
          if (wait > 0.5) {
            await sleep(wait);
            continue;
          }
          contentTokensSent++;
        }
        controller.enqueue(event);
        next++;
      }
      if (!cancelled) controller.close();
    },
    cancel() {
      cancelled = true;
      clearTimeout(timer);
      wake?.();
    },
  });
}

type PlannedEvent = { event: StreamEvent; token: boolean };

function plannedEvents(provider: MockProviderConfig, request: CanonicalRequest, directives: Directives, inputTokens: number): PlannedEvent[] {
  const planned: PlannedEvent[] = [];
  const add = (event: StreamEvent, token = false) => planned.push({ event, token });
  const id = `mock-${crypto.randomUUID()}`;
  add({ type: 'message-start', id, model: request.model, created: Math.floor(Date.now() / 1000) });
  add({ type: 'usage', usage: { inputTokens, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 } });

  const limit = request.maxTokens ?? Number.POSITIVE_INFINITY;
  const tools = toolsToCall(request.tools ?? [], directives.tools);
  let outputTokens = 0;
  let finish: FinishInfo = { reason: 'stop', raw: null };

  if (tools.length > 0) {
    tools.forEach((tool, index) => {
      add({ type: 'tool-call-start', index, id: `call_mock_${index}_${id.slice(-8)}`, name: tool.name }, true);
      outputTokens++;
      for (const piece of splitArguments(JSON.stringify(exampleValue(tool.inputSchema)))) {
        add({ type: 'tool-call-delta', index, argumentsDelta: piece }, true);
        outputTokens++;
      }
    });
    finish = { reason: 'tool-calls', raw: null };
  } else {
    const wanted = directives.tokens ?? provider.outputTokens;
    const count = Math.min(wanted, limit);
    for (let index = 0; index < count; index++) {
      if (directives.midstreamError && index === tokensBeforeMidstreamError) {
        add({ type: 'usage', usage: { outputTokens } });
        add({ type: 'error', error: new GatewayError('overloaded', 'mock: simulated overload in the middle of the stream', { upstreamType: 'overloaded_error' }) });
        return planned;
      }
      const word = words[index % words.length];
      add({ type: 'text-delta', text: index === 0 ? word.trimStart() : word }, true);
      outputTokens++;
    }
    if (count < wanted) finish = { reason: 'length', raw: null };
  }
  add({ type: 'usage', usage: { inputTokens, outputTokens, cacheReadTokens: 0, cacheWriteTokens: 0 } });
  add({ type: 'finish', finish });
  return planned;
}

function simulatedError(status: number): GatewayError {
  const kind = errorKindFromStatus(status);
  return new GatewayError(kind, `mock: simulated ${status} error`, {
    status,
    retryAfter: status === 429 || status === 503 || status === 529 ? '1' : undefined,
  });
}

function toolsToCall(tools: CanonicalTool[], which: Directives['tools']): CanonicalTool[] {
  switch (which) {
    case 'none':
      return [];
    case 'first':
      return tools.slice(0, 1);
    case 'all':
      return tools;
    default: {
      const unknownChoice: never = which;
      return unknownChoice;
    }
  }
}

/** Arguments arrive in small pieces, as a real model streams them. */
function splitArguments(json: string): string[] {
  const pieces: string[] = [];
  for (let offset = 0; offset < json.length; offset += 6) pieces.push(json.slice(offset, offset + 6));
  return pieces;
}

/** A value that satisfies a JSON schema's required shape: enough for a deterministic tool call. */
export function exampleValue(schema: unknown): unknown {
  if (!schema || typeof schema !== 'object') return 'mock';
  const node = schema as Record<string, unknown>;
  if (Array.isArray(node.enum) && node.enum.length > 0) return node.enum[0];
  const type = Array.isArray(node.type) ? node.type[0] : node.type;
  switch (type) {
    case 'object': {
      const properties = (node.properties ?? {}) as Record<string, unknown>;
      const result: Record<string, unknown> = {};
      for (const [name, property] of Object.entries(properties)) result[name] = exampleValue(property);
      return result;
    }
    case 'array':
      return [exampleValue(node.items)];
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return 'mock';
  }
}
