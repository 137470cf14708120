/**
 * Who may make this call, and may they make it now: the gateway key, the models it may use, the size
 * of the conversation and the key's rate limits. Every refusal is a GatewayError the client gets in
 * its own protocol.
 */
import { readFileSync } from 'node:fs';
import type { GatewayConfig } from '../config/gateway-config.ts';
import { GatewayError } from '../core/gateway-error.ts';
import { KeyConfigError, loadGatewayKeys, type GatewayKey, type GatewayKeys } from '../security/gateway-keys.ts';
import { RateLimiter, type Admission } from '../security/rate-limits.ts';

export type Admitted = { key: GatewayKey; admission: Admission };

/** A 403 when the key's model globs leave this model out. */
export function modelNotAllowed(key: GatewayKey, model: string): GatewayError | undefined {
  if (key.allowsModel(model)) return undefined;
  return new GatewayError('permission', `The key '${key.name}' may not use the model '${model}'.`, { param: 'model', code: 'model_not_allowed' });
}

export class CallAdmission {
  readonly keys: GatewayKeys;
  private readonly limiter = new RateLimiter();
  private readonly maxMessages: number;

  constructor(config: GatewayConfig) {
    const { auth, limits, configDirectory } = config.securitySections;
    try {
      this.keys = loadGatewayKeys(auth, configDirectory, (path) => readFileSync(path, 'utf8'), limits);
    } catch (error) {
      // Name the config file, as every other config error does.
      if (error instanceof KeyConfigError) throw new KeyConfigError(`${config.source}: ${error.message}`);
      throw error;
    }
    this.maxMessages = limits?.max_messages ?? 0;
  }

  /** The caller's key, or a 401. Used by every protected endpoint. */
  authenticate(headers: Headers): GatewayKey | GatewayError {
    return (
      this.keys.authenticate(headers) ??
      new GatewayError(
        'authentication',
        headers.has('authorization') || headers.has('x-api-key')
          ? 'Invalid API key for this gateway.'
          : 'This gateway needs an API key: send it as "Authorization: Bearer <key>" or "x-api-key: <key>".',
        { code: 'invalid_api_key' },
      )
    );
  }

  /** Checks everything but the key (already authenticated) for one chat call, and takes its rate-limit slot. */
  admit(key: GatewayKey, model: string, body: Record<string, unknown>, stream: boolean): Admission | GatewayError {
    const forbidden = modelNotAllowed(key, model);
    if (forbidden) return forbidden;
    const messages = body.messages;
    if (this.maxMessages > 0 && Array.isArray(messages) && messages.length > this.maxMessages) {
      return new GatewayError('invalid_request', `The request has ${messages.length} messages; this gateway accepts at most ${this.maxMessages}.`, {
        param: 'messages',
      });
    }
    const verdict = this.limiter.admit(key, { stream });
    if (verdict.limited) {
      return new GatewayError('rate_limit', verdict.message, { code: 'rate_limit_exceeded', retryAfter: String(verdict.retryAfterSeconds) });
    }
    return verdict;
  }
}
