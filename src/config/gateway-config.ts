/** The configuration after loading: validated, environment substituted, defaults applied. */
import type { McpProviderConfig } from '../providers/mcp-bridge/config.ts';

export type { McpProviderConfig };

export type OpenAiProviderConfig = {
  name: string;
  type: 'openai';
  baseUrl: string;
  apiKey: string | undefined;
  headers: Record<string, string>;
};

export type AnthropicProviderConfig = {
  name: string;
  type: 'anthropic';
  baseUrl: string;
  apiKey: string | undefined;
  headers: Record<string, string>;
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

export type RouteConfig = { match: string; provider: string; model: string | undefined };

export type GatewayConfig = {
  /** Where the config came from, for messages: a file path or `built-in default`. */
  source: string;
  server: { host: string; port: number; maxBodyBytes: number };
  providers: Map<string, ProviderConfig>;
  routes: RouteConfig[];
  /** Raw `telemetry`, `pricing` and `log` sections, handed to the telemetry module. */
  telemetrySections: { telemetry?: unknown; pricing?: unknown; log?: unknown };
};

export const defaultServer = { host: '127.0.0.1', port: 8000, maxBodyBytes: 32 * 1024 * 1024 };
