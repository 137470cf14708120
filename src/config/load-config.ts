/**
 * Loads lessllm.yaml: parse (the `yaml` library, which keeps source positions), substitute `${VAR}`
 * from the environment, validate against the TypeBox schema, apply defaults. Every problem is reported
 * as `file:line:column: path: message`, and the gateway refuses to start.
 */
import { readFileSync } from 'node:fs';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { visit, type Document } from 'yaml';
import { parseYamlWithPositions } from './yaml-document.ts';
import { defaultConfigYaml } from './default-config.ts';
import { dirname } from 'node:path';
import {
  defaultRetry,
  defaultServer,
  defaultTimeouts,
  type GatewayConfig,
  type ProviderConfig,
  type RetryPolicy,
  type RouteConfig,
  type Timeouts,
} from './gateway-config.ts';
import { mcpProviderConfig } from '../providers/mcp-bridge/config.ts';
import { configFileSchema, providerSchemaByType, type ConfigFile, type ProviderEntry, type RetryEntry, type TimeoutsEntry } from './schema.ts';

type RouteEntry = ConfigFile['routes'][number];

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const configChecker = TypeCompiler.Compile(configFileSchema);
const providerCheckers = Object.fromEntries(
  Object.entries(providerSchemaByType).map(([type, schema]) => [type, TypeCompiler.Compile(schema)]),
) as Record<string, ReturnType<typeof TypeCompiler.Compile>>;

export function loadConfigFile(path: string, environment: Record<string, string | undefined>): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${path}: cannot read the config file (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  return parseConfig(text, path, environment);
}

export function defaultConfig(): GatewayConfig {
  return parseConfig(defaultConfigYaml, 'built-in default', {});
}

export function parseConfig(text: string, source: string, environment: Record<string, string | undefined>): GatewayConfig {
  const { document, where, whereIs, firstError: yamlError } = parseYamlWithPositions(text, source);
  if (yamlError) throw new ConfigError(`${yamlError.at}: invalid YAML: ${yamlError.message}`);
  substituteEnvironment(document, environment, where);
  const file = document.toJS() as unknown;
  if (file === null || typeof file !== 'object') throw new ConfigError(`${source}: the config must be a mapping`);

  const fail = (segments: string[], message: string): never => {
    throw new ConfigError(`${whereIs(segments)}: ${segments.join('.') || '(root)'}: ${message}`);
  };
  const providers = (file as { providers?: unknown }).providers;
  if (providers && typeof providers === 'object') {
    for (const [name, entry] of Object.entries(providers)) {
      const type = (entry as { type?: unknown } | null)?.type;
      const checker = typeof type === 'string' ? providerCheckers[type] : undefined;
      if (!checker) fail(['providers', name, 'type'], `expected one of ${Object.keys(providerCheckers).join(', ')} (got ${JSON.stringify(type ?? null)})`);
      const providerError = checker!.Errors(entry).First();
      if (providerError) {
        const segments = ['providers', name, ...providerError.path.split('/').filter(Boolean)];
        fail(segments, describe(providerError));
      }
    }
  }
  const firstError = configChecker.Errors(file).First();
  if (firstError) fail(firstError.path.split('/').filter(Boolean), describe(firstError));
  return normalise(file as ConfigFile, source, whereIs);
}

/** `${NAME}` and `${NAME:-fallback}` in any string value, replaced in place before validation. */
function substituteEnvironment(
  document: Document,
  environment: Record<string, string | undefined>,
  where: (offset: number | undefined) => string,
): void {
  visit(document, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      node.value = node.value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_match, name: string, fallback?: string) => {
        const value = environment[name];
        if (value !== undefined && value !== '') return value;
        if (fallback !== undefined) return fallback;
        throw new ConfigError(`${where(node.range?.[0])}: environment variable ${name} is not set (write \${${name}:-} to allow it to be empty)`);
      });
    },
  });
}

/** A TypeBox error in words, with the value that was found — except where that value may be a secret. */
function describe(error: { message: string; value: unknown; path: string }): string {
  if (/key|secret|token|password|authorization/i.test(error.path) && !/tokens_per|max_tokens/i.test(error.path)) return error.message.toLowerCase();
  const shown = error.value === undefined ? 'nothing' : JSON.stringify(error.value);
  return `${error.message.toLowerCase()} (got ${shown && shown.length > 60 ? `${shown.slice(0, 57)}...` : shown})`;
}

function normalise(file: ConfigFile, source: string, where: (segments: string[]) => string): GatewayConfig {
  const providerTimeouts = timeouts(file.timeouts, defaultTimeouts);
  const providers = new Map<string, ProviderConfig>();
  for (const [name, entry] of Object.entries(file.providers)) providers.set(name, normaliseProvider(name, entry, providerTimeouts, where));

  const retry = retryPolicy(file.retry, defaultRetry);
  const routes: RouteConfig[] = file.routes.map((route, index) => normaliseRoute(route, index, providers, retry, where));
  const hasKeys = (file.auth?.keys?.length ?? 0) > 0 || file.auth?.key_file !== undefined;

  return {
    source,
    server: {
      host: file.server?.host ?? (hasKeys ? defaultServer.hostWithKeys : defaultServer.host),
      port: file.server?.port ?? defaultServer.port,
      maxBodyBytes: file.server?.max_body_bytes ?? defaultServer.maxBodyBytes,
      shutdownGraceMs: file.server?.shutdown_grace_ms ?? defaultServer.shutdownGraceMs,
    },
    providers,
    routes,
    telemetrySections: { telemetry: file.telemetry, pricing: file.pricing, log: file.log },
    securitySections: { auth: file.auth, limits: file.limits, configDirectory: source === 'built-in default' ? '.' : dirname(source) },
  };
}

function normaliseRoute(
  route: RouteEntry,
  index: number,
  providers: Map<string, ProviderConfig>,
  defaultPolicy: RetryPolicy,
  where: (segments: string[]) => string,
): RouteConfig {
  const at = (...segments: string[]) => `${where(['routes', String(index), ...segments])}: routes.${index}${segments.map((segment) => `.${segment}`).join('')}`;
  if ((route.provider === undefined) === (route.targets === undefined)) {
    throw new ConfigError(`${at()}: give either provider (one target) or targets (a list), not ${route.provider === undefined ? 'neither' : 'both'}`);
  }
  if (route.targets && route.model !== undefined) throw new ConfigError(`${at('model')}: with targets, give each target its own model`);
  const entries = route.targets ?? [{ provider: route.provider!, model: route.model }];
  const targets = entries.map((target, targetIndex) => {
    const path = route.targets ? ['targets', String(targetIndex), 'provider'] : ['provider'];
    if (!providers.has(target.provider)) {
      const known = [...providers.keys()].join(', ') || 'none';
      throw new ConfigError(`${at(...path)}: no provider named "${target.provider}" (known: ${known})`);
    }
    return { provider: target.provider, model: target.model, weight: target.weight ?? 1 };
  });
  return { match: route.match, targets, strategy: route.strategy ?? 'fallback', retry: retryPolicy(route.retry, defaultPolicy) };
}

function retryPolicy(entry: RetryEntry | undefined, base: RetryPolicy): RetryPolicy {
  return {
    attempts: entry?.attempts ?? base.attempts,
    backoffMs: entry?.backoff_ms ?? base.backoffMs,
    maxBackoffMs: entry?.max_backoff_ms ?? base.maxBackoffMs,
    maxRetryAfterMs: entry?.max_retry_after_ms ?? base.maxRetryAfterMs,
  };
}

function timeouts(entry: TimeoutsEntry | undefined, base: Timeouts): Timeouts {
  return {
    connectMs: entry?.connect_ms ?? base.connectMs,
    firstByteMs: entry?.first_byte_ms ?? base.firstByteMs,
    idleMs: entry?.idle_ms ?? base.idleMs,
    totalMs: entry?.total_ms ?? base.totalMs,
  };
}

function normaliseProvider(name: string, entry: ProviderEntry, defaults: Timeouts, where: (segments: string[]) => string): ProviderConfig {
  switch (entry.type) {
    case 'openai':
      return {
        name,
        type: 'openai',
        baseUrl: checkedBaseUrl(entry.base_url, name, where),
        apiKey: entry.api_key || undefined,
        headers: entry.headers ?? {},
        timeouts: timeouts(entry.timeouts, defaults),
      };
    case 'anthropic':
      return {
        name,
        type: 'anthropic',
        baseUrl: checkedBaseUrl(entry.base_url, name, where),
        apiKey: entry.api_key || undefined,
        headers: entry.headers ?? {},
        timeouts: timeouts(entry.timeouts, defaults),
        anthropicVersion: entry.anthropic_version ?? '2023-06-01',
        defaultMaxTokens: entry.default_max_tokens ?? 4096,
      };
    case 'mock':
      return {
        name,
        type: 'mock',
        ttftMs: entry.ttft_ms ?? 0,
        tokensPerSecond: entry.tokens_per_second ?? 0,
        outputTokens: entry.output_tokens ?? 16,
      };
    case 'mcp':
      return mcpProviderConfig(name, entry);
    default: {
      const unknownEntry: never = entry;
      throw new ConfigError(`providers.${name}: unknown type ${JSON.stringify(unknownEntry)}`);
    }
  }
}

function checkedBaseUrl(value: string, providerName: string, where: (segments: string[]) => string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${where(['providers', providerName, 'base_url'])}: providers.${providerName}.base_url: not a URL (got ${JSON.stringify(value)})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${where(['providers', providerName, 'base_url'])}: providers.${providerName}.base_url: must be http or https (got ${JSON.stringify(value)})`);
  }
  return value.replace(/\/+$/, '');
}
