/**
 * Loads lessllm.yaml: parse (the `yaml` library, which keeps source positions), substitute `${VAR}`
 * from the environment, validate against the TypeBox schema, apply defaults. Every problem is reported
 * as `file:line:column: path: message`, and the gateway refuses to start.
 */
import { readFileSync } from 'node:fs';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { defaultConfigYaml } from './default-config.ts';
import {
  defaultServer,
  type GatewayConfig,
  type ProviderConfig,
  type RouteConfig,
} from './gateway-config.ts';
import { mcpProviderConfig } from '../providers/mcp-bridge/config.ts';
import { configFileSchema, providerSchemaByType, type ConfigFile, type ProviderEntry } from './schema.ts';

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
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const where = (offset: number | undefined) => {
    if (offset === undefined) return source;
    const { line, col } = lineCounter.linePos(offset);
    return `${source}:${line}:${col}`;
  };
  if (document.errors.length > 0) {
    const first = document.errors[0];
    throw new ConfigError(`${where(first.pos[0])}: invalid YAML: ${first.message.split('\n')[0]}`);
  }
  substituteEnvironment(document, environment, where);
  const file = document.toJS() as unknown;
  if (file === null || typeof file !== 'object') throw new ConfigError(`${source}: the config must be a mapping`);

  const fail = (segments: string[], message: string): never => {
    throw new ConfigError(`${where(offsetOf(document, segments))}: ${segments.join('.') || '(root)'}: ${message}`);
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
  return normalise(file as ConfigFile, source, (segments) => where(offsetOf(document, segments)));
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

function offsetOf(document: Document, segments: string[]): number | undefined {
  // Walk up until a node exists: a missing key is reported at its parent.
  for (let length = segments.length; length >= 0; length--) {
    const path = segments.slice(0, length).map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
    const node = length === 0 ? document.contents : document.getIn(path, true);
    if (node && typeof node === 'object' && 'range' in node && node.range) return (node.range as [number])[0];
    if (isScalar(node) && node.range) return node.range[0];
  }
  return undefined;
}

/** A TypeBox error in words, with the value that was found. */
function describe(error: { message: string; value: unknown }): string {
  const shown = error.value === undefined ? 'nothing' : JSON.stringify(error.value);
  return `${error.message.toLowerCase()} (got ${shown && shown.length > 60 ? `${shown.slice(0, 57)}...` : shown})`;
}

function normalise(file: ConfigFile, source: string, where: (segments: string[]) => string): GatewayConfig {
  const providers = new Map<string, ProviderConfig>();
  for (const [name, entry] of Object.entries(file.providers)) providers.set(name, normaliseProvider(name, entry, where));

  const routes: RouteConfig[] = file.routes.map((route, index) => {
    if (!providers.has(route.provider)) {
      const known = [...providers.keys()].join(', ') || 'none';
      throw new ConfigError(`${where(['routes', String(index), 'provider'])}: routes.${index}.provider: no provider named "${route.provider}" (known: ${known})`);
    }
    return { match: route.match, provider: route.provider, model: route.model };
  });

  return {
    source,
    server: {
      host: file.server?.host ?? defaultServer.host,
      port: file.server?.port ?? defaultServer.port,
      maxBodyBytes: file.server?.max_body_bytes ?? defaultServer.maxBodyBytes,
    },
    providers,
    routes,
    telemetrySections: { telemetry: file.telemetry, pricing: file.pricing, log: file.log },
  };
}

function normaliseProvider(name: string, entry: ProviderEntry, where: (segments: string[]) => string): ProviderConfig {
  switch (entry.type) {
    case 'openai':
      return { name, type: 'openai', baseUrl: checkedBaseUrl(entry.base_url, name, where), apiKey: entry.api_key || undefined, headers: entry.headers ?? {} };
    case 'anthropic':
      return {
        name,
        type: 'anthropic',
        baseUrl: checkedBaseUrl(entry.base_url, name, where),
        apiKey: entry.api_key || undefined,
        headers: entry.headers ?? {},
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
