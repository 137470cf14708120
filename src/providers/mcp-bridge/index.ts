/** The MCP bridge provider (`type: mcp`): LLM calls answered by whoever is attached over MCP. */
export { McpBridge, type McpBridgeOptions } from './bridge.ts';
export { defaultMcpTimeoutMs, mcpProviderConfig, mcpProviderSchema, type McpProviderConfig, type McpProviderEntry } from './config.ts';
export type { AuthorizeMcp } from './mcp-endpoint.ts';
