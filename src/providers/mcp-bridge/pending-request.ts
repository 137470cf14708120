/**
 * One chat call routed to an MCP provider, from its arrival until it is answered, failed, timed out or
 * abandoned by its client. It owns the call's canonical event stream: each answer chunk an MCP client
 * sends becomes events the moment it arrives, so the waiting client receives it as it is sent.
 */
import type { ClientProtocolName } from '../../core/call-observer.ts';
import type { AssistantPart, CanonicalRequest } from '../../core/canonical-request.ts';
import { GatewayError } from '../../core/gateway-error.ts';
import type { StreamEvent } from '../../core/stream-events.ts';
import { estimateContentTokens, estimateRequestTokens } from '../../core/token-count.ts';
import type { McpProviderConfig } from './config.ts';

export type ToolCallAnswer = { id?: string; name: string; arguments: Record<string, unknown> };

export type AnswerChunk = { text: string; toolCalls: ToolCallAnswer[] };

/** Why a request left the bridge; remembered for a while so a late answer is told what happened. */
export type EndReason = 'answered' | 'failed' | 'timed-out' | 'client-disconnected';

export type PendingRequestOptions = {
  id: string;
  provider: McpProviderConfig;
  request: CanonicalRequest;
  clientProtocol: ClientProtocolName;
  /** Called once, when the request leaves the bridge for any reason. */
  onEnd: (pending: PendingRequest, reason: EndReason) => void;
};

export class PendingRequest {
  readonly id: string;
  readonly provider: McpProviderConfig;
  readonly request: CanonicalRequest;
  readonly clientProtocol: ClientProtocolName;
  readonly receivedAt = new Date();
  /** The canonical events for the gateway; see McpBridge.submit for what comes first. */
  readonly events: ReadableStream<StreamEvent>;
  /** A wait_for_request call has returned it, so the next such call returns a newer request. */
  delivered = false;
  /** Epoch milliseconds by which the next answer chunk must arrive. */
  answerDeadline = 0;
  chunksSent = 0;

  private controller!: ReadableStreamDefaultController<StreamEvent>;
  private readonly onEnd: PendingRequestOptions['onEnd'];
  private readonly inputTokens: number;
  /** What was answered so far, to count output tokens on the whole text rather than per chunk. */
  private readonly answered: AssistantPart[] = [];
  private toolCallCount = 0;
  private messageStarted = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private ended = false;
  private resolveFinished: (reason: EndReason) => void = () => {};
  private readonly finishedPromise = new Promise<EndReason>((resolve) => (this.resolveFinished = resolve));

  constructor(options: PendingRequestOptions) {
    this.id = options.id;
    this.provider = options.provider;
    this.request = options.request;
    this.clientProtocol = options.clientProtocol;
    this.onEnd = options.onEnd;
    this.inputTokens = estimateRequestTokens(options.request);
    this.events = new ReadableStream<StreamEvent>({
      start: (controller) => {
        this.controller = controller;
      },
      // The gateway cancels the stream when its client goes away.
      cancel: () => this.end('client-disconnected'),
    });
    this.restartTimer();
  }

  get state(): 'waiting' | 'answering' {
    return this.chunksSent === 0 ? 'waiting' : 'answering';
  }

  /** Resolves when the request leaves the bridge, with the reason. */
  get finished(): Promise<EndReason> {
    return this.finishedPromise;
  }

  get isOpen(): boolean {
    return !this.ended;
  }

  /** The tool names the client offered, for checking an answer's tool calls. */
  get toolNames(): string[] {
    return (this.request.tools ?? []).map((tool) => tool.name);
  }

  /** Sends a chunk of the answer; `done` completes the answer with usage and a finish reason. */
  answer(chunk: AnswerChunk, done: boolean): void {
    if (chunk.text !== '' || chunk.toolCalls.length > 0) {
      this.startMessage();
      this.chunksSent++;
      if (chunk.text !== '') {
        this.controller.enqueue({ type: 'text-delta', text: chunk.text });
        const last = this.answered.at(-1);
        if (last?.type === 'text') last.text += chunk.text;
        else this.answered.push({ type: 'text', text: chunk.text });
      }
      for (const call of chunk.toolCalls) {
        const index = this.toolCallCount++;
        const id = call.id ?? newToolCallId(this.clientProtocol);
        this.controller.enqueue({ type: 'tool-call-start', index, id, name: call.name });
        this.controller.enqueue({ type: 'tool-call-delta', index, argumentsDelta: JSON.stringify(call.arguments) });
        this.answered.push({ type: 'tool-call', id, name: call.name, input: call.arguments });
      }
    }
    if (!done) {
      this.restartTimer();
      return;
    }
    this.startMessage();
    const outputTokens = estimateContentTokens(this.answered);
    this.controller.enqueue({ type: 'usage', usage: { inputTokens: this.inputTokens, outputTokens, cacheReadTokens: 0, cacheWriteTokens: 0 } });
    this.controller.enqueue({ type: 'finish', finish: { reason: this.toolCallCount > 0 ? 'tool-calls' : 'stop', raw: null } });
    this.controller.close();
    this.end('answered');
  }

  /** An MCP client refused the request: its client gets this message as an error. */
  fail(message: string): void {
    this.sendError(new GatewayError('api_error', message));
    this.end('failed');
  }

  /** The client went away (its request signal aborted): nobody is left to read the stream. */
  abandon(reason: unknown): void {
    if (this.ended) return;
    this.controller.error(reason);
    this.end('client-disconnected');
  }

  /** Output tokens answered so far. */
  outputTokens(): number {
    return estimateContentTokens(this.answered);
  }

  private expire(): void {
    const seconds = this.provider.timeoutMs / 1000;
    const message =
      this.chunksSent === 0
        ? `No MCP client answered this request within ${seconds} s (lessllm provider "${this.provider.name}", timeout_ms ${this.provider.timeoutMs}).`
        : `The MCP client stopped answering: no chunk for ${seconds} s (lessllm provider "${this.provider.name}", timeout_ms ${this.provider.timeoutMs}).`;
    this.sendError(new GatewayError('timeout', message));
    this.end('timed-out');
  }

  /**
   * message-start goes out with the first answer chunk, never before: until then the stream is silent,
   * so a timeout or a failure is the stream's first event and the gateway can still answer with an
   * HTTP error status instead of a 200 followed by an in-band error.
   */
  private startMessage(): void {
    if (this.messageStarted) return;
    this.messageStarted = true;
    this.controller.enqueue({ type: 'message-start', id: this.id, model: this.request.model, created: Math.floor(Date.now() / 1000) });
    // Anthropic clients read input tokens from message_start, before any content.
    this.controller.enqueue({ type: 'usage', usage: { inputTokens: this.inputTokens, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 } });
  }

  private sendError(error: GatewayError): void {
    if (this.ended) return;
    this.controller.enqueue({ type: 'error', error });
    this.controller.close();
  }

  private restartTimer(): void {
    clearTimeout(this.timer);
    this.answerDeadline = Date.now() + this.provider.timeoutMs;
    this.timer = setTimeout(() => this.expire(), this.provider.timeoutMs);
  }

  private end(reason: EndReason): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.onEnd(this, reason);
    this.resolveFinished(reason);
  }
}

/** Ids in the shape each client protocol's own API mints, for tool calls the MCP client left unnamed. */
function newToolCallId(clientProtocol: ClientProtocolName): string {
  const random = crypto.randomUUID().replaceAll('-', '').slice(0, 24);
  return clientProtocol === 'anthropic-messages' ? `toolu_${random}` : `call_${random}`;
}
