/**
 * The requests waiting in the bridge, shared by every `type: mcp` provider of the gateway, and the MCP
 * clients waiting for them. The MCP tools act on this; the gateway adds to it through McpBridge.submit.
 */
import { assertNever } from '../../core/stream-events.ts';
import { PendingRequest, type AnswerChunk, type EndReason, type PendingRequestOptions } from './pending-request.ts';

/** How many ended request ids are remembered, to tell a late answer what happened rather than "unknown". */
const rememberedEndings = 1000;

type Waiter = {
  providerName: string | undefined;
  hand(pending: PendingRequest): void;
};

/** A refusal whose message is meant for the MCP client (an unknown id, a tool the request never offered). */
export class BridgeRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BridgeRefusal';
  }
}

export class PendingRequests {
  /** In arrival order (a Map keeps insertion order). */
  private readonly open = new Map<string, PendingRequest>();
  private readonly endings = new Map<string, EndReason>();
  private readonly waiters: Waiter[] = [];

  add(options: Omit<PendingRequestOptions, 'onEnd'>): PendingRequest {
    const pending = new PendingRequest({ ...options, onEnd: (ended, reason) => this.remove(ended, reason) });
    this.open.set(pending.id, pending);
    const waiter = this.waiters.find((candidate) => matches(pending, candidate.providerName));
    if (waiter) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      pending.delivered = true;
      waiter.hand(pending);
    }
    return pending;
  }

  /** Every open request, oldest first. */
  list(providerName?: string): PendingRequest[] {
    return [...this.open.values()].filter((pending) => matches(pending, providerName));
  }

  /** Open requests no wait call has returned yet. */
  countUndelivered(providerName?: string): number {
    return this.list(providerName).filter((pending) => !pending.delivered).length;
  }

  /**
   * The oldest request no wait call has returned yet, marked as returned; if there is none, the next one
   * to arrive within `timeoutMs`, else undefined. Each request is returned by one wait call only, so
   * several MCP clients can share the work.
   */
  waitForNew(timeoutMs: number, signal: AbortSignal, providerName?: string): Promise<PendingRequest | undefined> {
    const ready = this.list(providerName).find((pending) => !pending.delivered);
    if (ready) {
      ready.delivered = true;
      return Promise.resolve(ready);
    }
    if (signal.aborted || timeoutMs <= 0) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const stop = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', stop);
        const index = this.waiters.indexOf(waiter);
        if (index !== -1) this.waiters.splice(index, 1);
        resolve(undefined);
      };
      const waiter: Waiter = {
        providerName,
        hand: (pending) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', stop);
          resolve(pending);
        },
      };
      const timer = setTimeout(stop, timeoutMs);
      signal.addEventListener('abort', stop, { once: true });
      this.waiters.push(waiter);
    });
  }

  /**
   * A wait call returned this request but its MCP client was gone before it could read the result: offer
   * the request again, so it is not lost to a dead connection.
   */
  redeliver(pending: PendingRequest): void {
    if (!pending.isOpen) return;
    pending.delivered = false;
    const waiter = this.waiters.find((candidate) => matches(pending, candidate.providerName));
    if (waiter) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      pending.delivered = true;
      waiter.hand(pending);
    }
  }

  answer(id: string, chunk: AnswerChunk, done: boolean): PendingRequest {
    const pending = this.get(id);
    checkToolCalls(pending, chunk);
    if (!done && chunk.text === '' && chunk.toolCalls.length === 0) {
      throw new BridgeRefusal('Nothing to send: give text and/or tool_calls, or done: true to finish the answer.');
    }
    pending.answer(chunk, done);
    return pending;
  }

  fail(id: string, message: string): PendingRequest {
    const pending = this.get(id);
    pending.fail(message);
    return pending;
  }

  /** The open request with this id, or a refusal that says why there is none. */
  get(id: string): PendingRequest {
    const pending = this.open.get(id);
    if (pending) return pending;
    const ending = this.endings.get(id);
    if (ending) throw new BridgeRefusal(`Request "${id}" is no longer open: ${describeEnding(ending)}.`);
    throw new BridgeRefusal(`Unknown request id "${id}": no open request has it. Call list_requests to see the open requests.`);
  }

  private remove(pending: PendingRequest, reason: EndReason): void {
    this.open.delete(pending.id);
    this.endings.set(pending.id, reason);
    if (this.endings.size > rememberedEndings) this.endings.delete(this.endings.keys().next().value!);
  }
}

function describeEnding(reason: EndReason): string {
  switch (reason) {
    case 'answered':
      return 'it was already answered';
    case 'failed':
      return 'it was already failed with fail_request';
    case 'timed-out':
      return 'it timed out waiting for an answer, and its client got a timeout error';
    case 'client-disconnected':
      return 'its client disconnected before the answer was complete';
    default:
      return assertNever(reason);
  }
}

function matches(pending: PendingRequest, providerName: string | undefined): boolean {
  return providerName === undefined || pending.provider.name === providerName;
}

function checkToolCalls(pending: PendingRequest, chunk: AnswerChunk): void {
  if (chunk.toolCalls.length === 0) return;
  const offered = pending.toolNames;
  if (offered.length === 0) {
    throw new BridgeRefusal(`Request "${pending.id}" offered no tools, so it cannot be answered with tool calls; answer with text.`);
  }
  for (const call of chunk.toolCalls) {
    if (!offered.includes(call.name)) {
      throw new BridgeRefusal(`Request "${pending.id}" offered no tool named "${call.name}"; its tools are: ${offered.join(', ')}.`);
    }
  }
}
