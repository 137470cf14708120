/**
 * The `type: mcp` provider entry of lessllm.yaml. Such a provider has no upstream: its calls wait in the
 * bridge until an MCP client answers them, for at most `timeout_ms` without an answer.
 */
import { Type, type Static } from '@sinclair/typebox';

export const defaultMcpTimeoutMs = 120_000;

export const mcpProviderSchema = Type.Object(
  {
    type: Type.Literal('mcp'),
    timeout_ms: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'how long a request may wait for the first answer chunk, and then between chunks (default 120000)',
      }),
    ),
  },
  { additionalProperties: false },
);

export type McpProviderEntry = Static<typeof mcpProviderSchema>;

export type McpProviderConfig = {
  name: string;
  type: 'mcp';
  timeoutMs: number;
};

/** The YAML entry (already validated against mcpProviderSchema) with defaults applied. */
export function mcpProviderConfig(name: string, entry: McpProviderEntry): McpProviderConfig {
  return { name, type: 'mcp', timeoutMs: entry.timeout_ms ?? defaultMcpTimeoutMs };
}
