/**
 * The configured timeouts of one call: the total one, and one per phase of each try (connect, first byte,
 * idle). When one passes, the try (a phase timeout) or the whole call (the total timeout) is aborted with
 * a `timeout` GatewayError as its reason, which is what the client is told (an HTTP 504 before the
 * response started, an in-band error after) and what the span records.
 *
 * No timer of its own: the deadlines are noted here and checked by the shared sweeper
 * (deadline-sweeper.ts). A chunk only notes the time; the idle deadline counts from the last one.
 */
import type { ProviderConfig, Timeouts } from '../config/gateway-config.ts';
import type { TimeoutKind } from '../core/call-observer.ts';
import { GatewayError } from '../core/gateway-error.ts';
import type { CallAbort } from './call-abort.ts';
import type { DeadlineSweeper, Watched } from './deadline-sweeper.ts';

/** The timeouts of one try, one phase after another; the total one is the call's. */
type PhaseKind = Exclude<TimeoutKind, 'total'>;

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

export class CallDeadlines implements Watched {
  /** Which timeout fired, if one did (a phase timeout is forgotten when the next try begins). */
  fired: TimeoutKind | undefined;
  /** Where the sweeper keeps this call (deadline-sweeper.ts). */
  slot = -1;
  private readonly call: CallAbort;
  private readonly sweeper: DeadlineSweeper;
  private timeouts: Timeouts | undefined;
  private providerName = '';
  /** When the whole call has run too long (performance.now()), and its limit and provider for the message. */
  private totalAt = Infinity;
  private totalMs = 0;
  private totalProviderName = '';
  /** The phase of the current try being timed, its limit, and since when it counts. */
  private phase: PhaseKind | undefined;
  private phaseLimitMs = 0;
  private phaseSince = 0;
  private lastChunkAt = 0;

  /** The total timeout aborts the whole call; a phase timeout, only its current try. */
  constructor(call: CallAbort, sweeper: DeadlineSweeper) {
    this.call = call;
    this.sweeper = sweeper;
  }

  /** The total timeout counts from the call's arrival (`elapsedMs` ago). */
  startTotal(totalMs: number, elapsedMs: number, providerName: string): void {
    if (totalMs <= 0) return;
    this.totalAt = performance.now() - elapsedMs + totalMs;
    this.totalMs = totalMs;
    this.totalProviderName = providerName;
    this.sweeper.watch(this, totalMs);
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

  /** A chunk arrived. */
  onChunk(): void {
    this.lastChunkAt = performance.now();
  }

  /** Stops timing the phase (between tries); the total timeout runs on. */
  pausePhase(): void {
    this.phase = undefined;
  }

  /** The call is over. */
  clear(): void {
    this.pausePhase();
    this.totalAt = Infinity;
    this.sweeper.unwatch(this);
  }

  /** Called by the sweeper: fires the deadline that has passed by `now`, if one has. */
  checkDeadlines(now: number): void {
    if (now >= this.totalAt) {
      this.totalAt = Infinity;
      this.fire('total', this.totalMs, this.totalProviderName);
      return;
    }
    const phase = this.phase;
    if (phase === undefined) return;
    const since = phase === 'idle' ? this.lastChunkAt : this.phaseSince;
    if (now - since >= this.phaseLimitMs) this.fire(phase, this.phaseLimitMs, this.providerName);
  }

  private arm(kind: PhaseKind, limitMs: number): void {
    this.pausePhase();
    if (limitMs <= 0) return;
    this.phase = kind;
    this.phaseLimitMs = limitMs;
    this.phaseSince = performance.now();
    this.sweeper.watch(this, limitMs);
  }

  private fire(kind: TimeoutKind, limitMs: number, providerName: string): void {
    this.pausePhase();
    if (this.call.signal.aborted) return;
    this.fired = kind;
    const error = new GatewayError('timeout', `The upstream ${providerName} ${describe[kind]} within ${limitMs} ms (timeouts.${kind}_ms).`, {
      code: `${kind}_timeout`,
    });
    if (kind === 'total') this.call.abort(error);
    else this.call.abortTry(error);
  }
}
