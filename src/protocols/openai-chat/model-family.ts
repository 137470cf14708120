/**
 * A few request fields depend on the upstream model: OpenAI's reasoning models (o1, o3, o4-mini, gpt-5…)
 * reject `max_tokens` in favour of `max_completion_tokens`, and older chat models reject
 * `reasoning_effort`. Only the model name is known, so these are decided by its family prefix.
 */

/** `openai/gpt-5-mini` (an aggregator's name) is judged by its last segment, `gpt-5-mini`. */
function baseName(model: string): string {
  return model.slice(model.lastIndexOf('/') + 1).toLowerCase();
}

const maxCompletionTokensFamilies = ['o1', 'o3', 'o4', 'gpt-5'];

export function usesMaxCompletionTokens(model: string): boolean {
  const name = baseName(model);
  return maxCompletionTokensFamilies.some((family) => name.startsWith(family));
}

export function acceptsReasoningEffort(model: string): boolean {
  return usesMaxCompletionTokens(model) || baseName(model).startsWith('gpt-oss');
}
