/**
 * The configured timeouts of one call. Each phase arms one timer; when it fires, the try (a phase
 * timeout) or the whole call (the total timeout) is aborted with a `timeout` GatewayError as its reason,
 * which is what the client is told (an HTTP 504 before the response started, an in-band error after) and
 * what the span records.
 *
 * The idle timer is not re-armed per chunk (a streamed answer has thousands): each chunk only notes the
 * time, and the timer, when it fires, checks how long the silence really was and re-arms for the rest.
 */
import type { ProviderConfig, Timeouts } from '../config/gateway-config.ts';
import type { TimeoutKind } from '../core/call-observer.ts';
import { GatewayError } from '../core/gateway-error.ts';
import type { CallAbort } from './call-abort.ts';

const describe: Record<TimeoutKind, string> = {
  connect: 'did not start answering (response headers)',
  first_byte: 'sent no response body',
  idle: 'went silent in the middle of the answer',
  total: 'did not finish the call',
};

/** The timeouts of a provider reached over HTTP; a local one (mock, MCP) has its own waiting rules. */
export function timeoutsOf(provider: ProviderConfig): Timeouts | undefined {
  return provider.type === 'openai' || provider.type === 'anthropic' ? provider.timeouts : undefined;
}

export class CallDeadlines {
  /** Which timeout fired, if one did (a phase timeout is forgotten when the next try begins). */
  fired: TimeoutKind | undefined;
  private readonly call: CallAbort;
  private timeouts: Timeouts | undefined;
  private providerName = '';
  private phaseTimer: ReturnType<typeof setTimeout> | undefined;
  private totalTimer: ReturnType<typeof setTimeout> | undefined;
  private lastChunkAt = 0;

  /** The total timeout aborts the whole call; a phase timeout, only its current try. */
  constructor(call: CallAbort) {
    this.call = call;
  }

  /** The total timeout counts from the call's arrival (`elapsedMs` ago). */
  startTotal(totalMs: number, elapsedMs: number, providerName: string): void {
    if (totalMs <= 0) return;
    this.totalTimer = setTimeout(() => this.fire('total', totalMs, providerName), Math.max(0, totalMs - elapsedMs));
  }

  /** A new try, to a provider with its own timeouts. */
  beginAttempt(timeouts: Timeouts, providerName: string): void {
    this.pausePhase();
    if (this.fired !== 'total') this.fired = undefined;
    this.timeouts = timeouts;
    this.providerName = providerName;
  }

  /** Waiting for response headers (streaming) or the whole answer's headers (non-streaming). */
  awaitHeaders(stream: boolean): void {
    if (stream) this.arm('connect', this.timeouts!.connectMs);
    else this.arm('first_byte', this.timeouts!.firstByteMs);
  }

  /** Headers arrived; waiting for the first byte of the body. */
  awaitFirstByte(): void {
    this.arm('first_byte', this.timeouts!.firstByteMs);
  }

  /** The body is flowing: from now on only silences longer than idle_ms count. */
  awaitChunks(): void {
    this.lastChunkAt = performance.now();
    this.arm('idle', this.timeouts!.idleMs);
  }

  /** A chunk arrived (cheap: no timer is touched). */
  onChunk(): void {
    this.lastChunkAt = performance.now();
  }

  /** Stops the phase timer (between tries); the total timer runs on. */
  pausePhase(): void {
    if (this.phaseTimer !== undefined) clearTimeout(this.phaseTimer);
    this.phaseTimer = undefined;
  }

  /** The call is over. */
  clear(): void {
    this.pausePhase();
    if (this.totalTimer !== undefined) clearTimeout(this.totalTimer);
    this.totalTimer = undefined;
  }

  private arm(kind: TimeoutKind, limitMs: number): void {
    this.pausePhase();
    if (limitMs <= 0) return;
    const providerName = this.providerName;
    if (kind !== 'idle') {
      this.phaseTimer = setTimeout(() => this.fire(kind, limitMs, providerName), limitMs);
      return;
    }
    const check = () => {
      const silentFor = performance.now() - this.lastChunkAt;
      if (silentFor >= limitMs) this.fire('idle', limitMs, providerName);
      else this.phaseTimer = setTimeout(check, limitMs - silentFor);
    };
    this.phaseTimer = setTimeout(check, limitMs);
  }

  private fire(kind: TimeoutKind, limitMs: number, providerName: string): void {
    if (this.fired !== undefined || this.call.signal.aborted) return;
    this.fired = kind;
    this.pausePhase();
    const error = new GatewayError('timeout', `The upstream ${providerName} ${describe[kind]} within ${limitMs} ms (timeouts.${kind}_ms).`, {
      code: `${kind}_timeout`,
    });
    if (kind === 'total') this.call.abort(error);
    else this.call.abortTry(error);
  }
}
