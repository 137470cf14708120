/** The configuration after loading: validated, environment substituted, defaults applied. */
import type { McpProviderConfig } from '../providers/mcp-bridge/config.ts';
import type { AuthSection, LimitsSection } from '../security/config-schema.ts';

export type { McpProviderConfig };

/** How long lessllm waits on an upstream, in milliseconds; 0 disables one. See DESIGN/README "Reliability". */
export type Timeouts = {
  /** Until the response headers of a streaming call (LLM APIs send them as soon as they accept the request). */
  connectMs: number;
  /** Until the first byte of the response body (for a non-streaming call: until its headers and body start). */
  firstByteMs: number;
  /** The longest silence between two chunks of the response body. */
  idleMs: number;
  /** The whole call, from arrival to the last byte. */
  totalMs: number;
};

export type OpenAiProviderConfig = {
  name: string;
  type: 'openai';
  baseUrl: string;
  apiKey: string | undefined;
  headers: Record<string, string>;
  timeouts: Timeouts;
};

export type AnthropicProviderConfig = {
  name: string;
  type: 'anthropic';
  baseUrl: string;
  apiKey: string | undefined;
  headers: Record<string, string>;
  timeouts: Timeouts;
  /** Sent when the client sends no `anthropic-version` of its own. */
  anthropicVersion: string;
  /** max_tokens for OpenAI clients that send none (Anthropic requires one). */
  defaultMaxTokens: number;
};

export type MockProviderConfig = {
  name: string;
  type: 'mock';
  ttftMs: number;
  tokensPerSecond: number;
  outputTokens: number;
};

export type ProviderConfig = OpenAiProviderConfig | AnthropicProviderConfig | MockProviderConfig | McpProviderConfig;

/** Tries per target and the pauses between them, before any byte reached the client. */
export type RetryPolicy = {
  /** Tries per target, the first one included (1 = no retry). */
  attempts: number;
  /** The first pause; it doubles on each retry (±20% jitter) up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** An upstream retry-after longer than this sends the call to the next target at once. */
  maxRetryAfterMs: number;
};

export type RouteTarget = { provider: string; model: string | undefined; weight: number };

/** fallback: targets in the listed order; weighted: an order drawn by weight per call (load balancing). */
export type RouteStrategy = 'fallback' | 'weighted';

export type RouteConfig = { match: string; targets: RouteTarget[]; strategy: RouteStrategy; retry: RetryPolicy };

export type GatewayConfig = {
  /** Where the config came from, for messages: a file path or `built-in default`. */
  source: string;
  server: {
    host: string;
    port: number;
    maxBodyBytes: number;
    /** On SIGTERM/SIGINT, how long calls in flight may run on before they are ended. */
    shutdownGraceMs: number;
  };
  providers: Map<string, ProviderConfig>;
  routes: RouteConfig[];
  /** Raw `telemetry`, `pricing` and `log` sections, handed to the telemetry module. */
  telemetrySections: { telemetry?: unknown; pricing?: unknown; log?: unknown };
  /** Raw `auth` and `limits` sections, handed to the security module, and where a relative key_file is. */
  securitySections: { auth?: AuthSection; limits?: LimitsSection; configDirectory: string };
};

/** Without gateway keys lessllm answers only this machine; with keys, every interface (see load-config.ts). */
export const defaultServer = { host: '127.0.0.1', hostWithKeys: '0.0.0.0', port: 8000, maxBodyBytes: 32 * 1024 * 1024, shutdownGraceMs: 30_000 };

export const defaultTimeouts: Timeouts = { connectMs: 10_000, firstByteMs: 300_000, idleMs: 300_000, totalMs: 1_800_000 };

export const defaultRetry: RetryPolicy = { attempts: 2, backoffMs: 200, maxBackoffMs: 5_000, maxRetryAfterMs: 30_000 };
