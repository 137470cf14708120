/**
 * What lessllm runs with when no config is given: everything goes to the built-in mock provider, so a
 * newcomer sees streaming, traces and metrics in the first minute without an API key.
 */
export const defaultConfigYaml = `
server: { host: 127.0.0.1, port: 8000 }
providers:
  local: { type: mock, ttft_ms: 150, tokens_per_second: 40, output_tokens: 48 }
routes:
  - { match: "*", provider: local }
`;
