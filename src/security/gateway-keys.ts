/**
 * Gateway keys: who may call lessllm, which models each caller may use, and which limits apply to it.
 * A presented key is hashed and compared in constant time with every configured hash, so neither
 * whether nor which key matched shows in the response time.
 */
import { timingSafeEqual } from 'node:crypto';
import { globToRegExp } from '../gateway/router.ts';
import type { AuthSection, KeyLimitsEntry, LimitsSection } from './config-schema.ts';
import { collectConfiguredKeys, type ConfiguredKey, type ReadTextFile } from './key-entries.ts';
import { keyDigest } from './key-material.ts';

export { KeyConfigError } from './key-entries.ts';
export { generateKey, hashKey } from './key-material.ts';

/** What the rate limiter enforces for one key; 0 = unlimited. */
export type KeyLimits = {
  requestsPerMinute: number;
  tokensPerMinute: number;
  maxConcurrentStreams: number;
};

export type GatewayKey = {
  /** Shown in telemetry and messages; the key itself is never kept. */
  name: string;
  allowsModel(model: string): boolean;
  limits: KeyLimits;
};

export type GatewayKeys = {
  /** False when no keys are configured: every request is then the anonymous key. */
  enabled: boolean;
  /**
   * The caller's key from `Authorization: Bearer …` or `x-api-key`; undefined when missing or wrong.
   * With authentication disabled, always the anonymous key.
   */
  authenticate(headers: Headers): GatewayKey | undefined;
};

export const anonymousKeyName = 'anonymous';

/**
 * Reads `auth.keys` and `auth.key_file` (relative to configDirectory). `limits` is the top-level section:
 * each key's own limits override it field by field. Throws KeyConfigError naming the entry or file at fault.
 */
export function loadGatewayKeys(
  auth: AuthSection | undefined,
  configDirectory: string,
  readFile: ReadTextFile,
  limits?: LimitsSection,
): GatewayKeys {
  const configured = collectConfiguredKeys(auth, configDirectory, readFile);
  if (configured.length === 0) {
    const anonymous = anonymousKey(limits);
    return { enabled: false, authenticate: () => anonymous };
  }
  const keys = configured.map((entry) => gatewayKey(entry, limits));
  const digests = configured.map((entry) => entry.digest);
  return {
    enabled: true,
    authenticate(headers) {
      let matched = -1;
      for (const candidate of presentedKeys(headers)) {
        const index = indexOfDigest(keyDigest(candidate), digests);
        if (index >= 0) matched = index;
      }
      return matched >= 0 ? keys[matched] : undefined;
    },
  };
}

/** Everyone, when authentication is off: all models, and the top-level limits as one shared bucket. */
export function anonymousKey(limits: LimitsSection | undefined): GatewayKey {
  return { name: anonymousKeyName, allowsModel: () => true, limits: mergedLimits(undefined, limits) };
}

/**
 * The keys a request presents. Both headers count on every route: OpenAI SDKs send Authorization,
 * Anthropic SDKs x-api-key, and some setups send a placeholder in one and the real key in the other.
 */
export function presentedKeys(headers: Headers): string[] {
  const keys: string[] = [];
  const authorization = headers.get('authorization')?.trim() ?? '';
  const space = authorization.search(/\s/);
  if (space > 0 && authorization.slice(0, space).toLowerCase() === 'bearer') {
    const token = authorization.slice(space).trim();
    if (token !== '') keys.push(token);
  }
  const apiKey = headers.get('x-api-key')?.trim() ?? '';
  if (apiKey !== '') keys.push(apiKey);
  return keys;
}

/**
 * Compares against every configured digest without stopping at a match. All digests are 32 bytes
 * whatever the presented key's length, so timingSafeEqual never throws and takes the same time each.
 */
function indexOfDigest(digest: Uint8Array, digests: readonly Uint8Array[]): number {
  let matched = -1;
  for (let index = 0; index < digests.length; index++) {
    const equal = timingSafeEqual(digest, digests[index]);
    matched = equal ? index : matched;
  }
  return matched;
}

function gatewayKey(entry: ConfiguredKey, limits: LimitsSection | undefined): GatewayKey {
  const patterns = entry.models?.map(globToRegExp);
  return {
    name: entry.name,
    allowsModel: patterns === undefined ? () => true : (model) => patterns.some((pattern) => pattern.test(model)),
    limits: mergedLimits(entry.limits, limits),
  };
}

function mergedLimits(own: KeyLimitsEntry | undefined, shared: LimitsSection | undefined): KeyLimits {
  return {
    requestsPerMinute: own?.requests_per_minute ?? shared?.requests_per_minute ?? 0,
    tokensPerMinute: own?.tokens_per_minute ?? shared?.tokens_per_minute ?? 0,
    maxConcurrentStreams: own?.max_concurrent_streams ?? shared?.max_concurrent_streams ?? 0,
  };
}
