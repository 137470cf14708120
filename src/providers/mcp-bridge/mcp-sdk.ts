/**
 * The MCP SDK modules the bridge uses, imported in one place. The SDK's `./*` export maps a `.js`
 * subpath to a `*.js.d.ts` declaration that does not exist; tsc falls back to `typesVersions`, Deno
 * does not (modelcontextprotocol/typescript-sdk#2701). The `@ts-types` comments, which only Deno reads,
 * point it at the real declarations; runtime resolution is unaffected.
 */
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/server/mcp.d.ts"
export { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/server/webStandardStreamableHttp.d.ts"
export { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
export type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
