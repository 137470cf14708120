/**
 * Anthropic accepts tool_use ids matching ^[a-zA-Z0-9_-]+$ only, while OpenAI-compatible upstreams
 * mint ids such as `functions.get_weather:0`. Every id lessllm sends to Anthropic or to an Anthropic
 * client goes through this one function, so a tool_use id and the tool_result that answers it (which the
 * client copies from the id it was given) always map to the same string.
 */
const allowedCharacter = /[a-zA-Z0-9_-]/;

export function sanitizeToolCallId(id: string): string {
  if (id === '') return 'toolu_missing_id';
  let sanitized = '';
  for (const character of id) sanitized += allowedCharacter.test(character) ? character : '_';
  return sanitized;
}
