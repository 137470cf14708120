/**
 * An OpenAI Chat Completions request body (already through validateRequest) → the canonical request.
 * Whatever cannot be expressed canonically is refused with an invalid_request error naming the field,
 * never dropped silently; fields with no canonical meaning (logprobs, seed, penalties…) are ignored.
 */
import type {
  CanonicalRequest,
  CanonicalTool,
  ReasoningEffort,
  ResponseFormat,
  ToolChoice,
} from '../../core/canonical-request.ts';
import { invalidRequest } from '../../core/gateway-error.ts';
import { decodeMessages } from './decode-messages.ts';
import { isPlainObject } from './tool-arguments.ts';

export function decodeRequest(body: Record<string, unknown>): CanonicalRequest {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const decoded = decodeMessages(messages);
  const stream = body.stream === true;
  const request: CanonicalRequest = {
    model: typeof body.model === 'string' ? body.model : '',
    system: decoded.system,
    messages: decoded.messages,
    stream,
    streamUsageRequested: stream && isPlainObject(body.stream_options) && body.stream_options.include_usage === true,
  };

  const maxTokens = numberOrUndefined(body.max_completion_tokens) ?? numberOrUndefined(body.max_tokens);
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  const temperature = numberOrUndefined(body.temperature);
  if (temperature !== undefined) request.temperature = temperature;
  const topP = numberOrUndefined(body.top_p);
  if (topP !== undefined) request.topP = topP;
  // Not an OpenAI field, but vLLM and other OpenAI-compatible servers accept it.
  const topK = numberOrUndefined(body.top_k);
  if (topK !== undefined) request.topK = topK;
  if (typeof body.stop === 'string') request.stopSequences = [body.stop];
  else if (Array.isArray(body.stop) && body.stop.length > 0) request.stopSequences = body.stop.map(String);
  if (typeof body.user === 'string' && body.user !== '') request.userId = body.user;

  const tools = decodeTools(body);
  if (tools !== undefined) request.tools = tools;
  const toolChoice = decodeToolChoice(body);
  if (toolChoice !== undefined) request.toolChoice = toolChoice;
  if (typeof body.parallel_tool_calls === 'boolean') request.parallelToolCalls = body.parallel_tool_calls;

  const effort = decodeReasoningEffort(body.reasoning_effort);
  if (effort !== undefined) request.reasoning = { effort };
  const responseFormat = decodeResponseFormat(body.response_format);
  if (responseFormat !== undefined) request.responseFormat = responseFormat;
  const choiceCount = numberOrUndefined(body.n);
  if (choiceCount !== undefined) request.choiceCount = choiceCount;
  return request;
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

const emptyParameters = (): Record<string, unknown> => ({ type: 'object', properties: {} });

function decodeTools(body: Record<string, unknown>): CanonicalTool[] | undefined {
  if (Array.isArray(body.tools)) {
    return body.tools.map((tool, toolIndex) => {
      const path = `tools[${toolIndex}]`;
      if (!isPlainObject(tool) || tool.type !== 'function') {
        const type = isPlainObject(tool) ? JSON.stringify(tool.type) : 'unknown';
        throw invalidRequest(`${path}.type: only function tools can be converted, got ${type}`, `${path}.type`);
      }
      return decodeFunctionDefinition(tool.function, `${path}.function`);
    });
  }
  // The deprecated `functions` list is the same definitions without the wrapper.
  if (Array.isArray(body.functions)) {
    return body.functions.map((definition, index) => decodeFunctionDefinition(definition, `functions[${index}]`));
  }
  return undefined;
}

function decodeFunctionDefinition(definition: unknown, path: string): CanonicalTool {
  if (!isPlainObject(definition)) throw invalidRequest(`${path}: is required, expected a function definition`, path);
  if (typeof definition.name !== 'string' || definition.name === '') {
    throw invalidRequest(`${path}.name: expected a non-empty string`, `${path}.name`);
  }
  // Tool names are forwarded exactly: a client matches calls to its tools by name.
  const tool: CanonicalTool = {
    name: definition.name,
    inputSchema: isPlainObject(definition.parameters) ? definition.parameters : emptyParameters(),
  };
  if (typeof definition.description === 'string') tool.description = definition.description;
  if (typeof definition.strict === 'boolean') tool.strict = definition.strict;
  return tool;
}

function decodeToolChoice(body: Record<string, unknown>): ToolChoice | undefined {
  const choice = body.tool_choice ?? body.function_call;
  const param = body.tool_choice !== undefined && body.tool_choice !== null ? 'tool_choice' : 'function_call';
  if (choice === undefined || choice === null) return undefined;
  if (choice === 'auto' || choice === 'none' || choice === 'required') return { type: choice };
  if (isPlainObject(choice)) {
    // {type:'function', function:{name}}, or the deprecated function_call form {name}.
    const named = isPlainObject(choice.function) ? choice.function : choice;
    if ((choice.type === 'function' || param === 'function_call') && typeof named.name === 'string') {
      return { type: 'tool', name: named.name };
    }
  }
  throw invalidRequest(
    `${param}: expected "auto", "none", "required" or {"type":"function","function":{"name":…}}`,
    param,
  );
}

const reasoningEfforts: readonly ReasoningEffort[] = ['none', 'minimal', 'low', 'medium', 'high'];

function decodeReasoningEffort(value: unknown): ReasoningEffort | undefined {
  if (value === undefined || value === null) return undefined;
  // Newer OpenAI models accept `xhigh`; the most any other upstream can do is `high`.
  if (value === 'xhigh') return 'high';
  const known = reasoningEfforts.find((effort) => effort === value);
  if (known === undefined) {
    throw invalidRequest(
      `reasoning_effort: expected one of ${reasoningEfforts.join(', ')}, got ${JSON.stringify(value)}`,
      'reasoning_effort',
    );
  }
  return known;
}

function decodeResponseFormat(value: unknown): ResponseFormat | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw invalidRequest('response_format: expected an object', 'response_format');
  switch (value.type) {
    case 'text':
      return { type: 'text' };
    case 'json_object':
      return { type: 'json-object' };
    case 'json_schema': {
      const jsonSchema = value.json_schema;
      if (!isPlainObject(jsonSchema) || typeof jsonSchema.name !== 'string') {
        throw invalidRequest(
          'response_format.json_schema: expected an object with a "name" and a "schema"',
          'response_format.json_schema',
        );
      }
      const format: ResponseFormat = {
        type: 'json-schema',
        name: jsonSchema.name,
        schema: isPlainObject(jsonSchema.schema) ? jsonSchema.schema : {},
      };
      if (typeof jsonSchema.strict === 'boolean') format.strict = jsonSchema.strict;
      return format;
    }
    default:
      throw invalidRequest(
        `response_format.type: expected one of text, json_object, json_schema, got ${JSON.stringify(value.type)}`,
        'response_format.type',
      );
  }
}
