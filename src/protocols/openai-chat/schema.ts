/**
 * The shape check every OpenAI Chat Completions request goes through before anything else. It is
 * deliberately permissive (unknown fields pass, because passthrough forwards them to upstreams that may
 * understand them) and checks only what lessllm itself relies on. It runs on every request, so the
 * schema is compiled once and the slow error walk happens only for a body that fails the fast check.
 *
 * Every schema carries an `expected` note: TypeBox's own messages ("Expected union value") do not tell a
 * person what to send, so the first error is rephrased as `field.path: expected …`.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { ValueError } from '@sinclair/typebox/errors';
import { GatewayError } from '../../core/gateway-error.ts';

/** Optional and nullable: OpenAI's schema treats `null` as "not given" for its optional fields. */
function optional<T extends TSchema>(schema: T) {
  return Type.Optional(Type.Union([schema, Type.Null()], { expected: schema.expected }));
}

const nonEmptyString = Type.String({ minLength: 1, expected: 'a non-empty string' });
const anyString = Type.String({ expected: 'a string' });
const anyObject = Type.Object({}, { expected: 'an object' });

export const messageRoles = ['system', 'developer', 'user', 'assistant', 'tool', 'function'] as const;

const contentPart = Type.Object({ type: anyString }, { expected: 'a content part object with a "type"' });

const messageContent = Type.Union([Type.String(), Type.Array(contentPart), Type.Null()], {
  expected: 'a string, an array of content parts, or null',
});

const toolCall = Type.Object(
  {
    id: anyString,
    function: Type.Object(
      { name: anyString, arguments: Type.String({ expected: 'a string of JSON' }) },
      { expected: 'an object with "name" and "arguments"' },
    ),
  },
  { expected: 'a tool call object' },
);

const message = Type.Object(
  {
    role: Type.Union(
      messageRoles.map((role) => Type.Literal(role)),
      { expected: `one of ${messageRoles.join(', ')}` },
    ),
    content: Type.Optional(messageContent),
    tool_calls: optional(Type.Array(toolCall, { expected: 'an array of tool calls' })),
    tool_call_id: Type.Optional(anyString),
    name: optional(anyString),
  },
  { expected: 'a message object with a "role"' },
);

const tool = Type.Object(
  {
    type: anyString,
    function: Type.Optional(
      Type.Object(
        {
          name: nonEmptyString,
          description: optional(anyString),
          parameters: optional(anyObject),
          strict: optional(Type.Boolean({ expected: 'a boolean' })),
        },
        { expected: 'a function definition object' },
      ),
    ),
  },
  { expected: 'a tool object' },
);

const toolChoice = Type.Union(
  [Type.Literal('none'), Type.Literal('auto'), Type.Literal('required'), Type.Object({ type: anyString })],
  { expected: '"none", "auto", "required" or {"type":"function","function":{"name":…}}' },
);

const positiveInteger = Type.Integer({ minimum: 1, expected: 'an integer ≥ 1' });
const number = Type.Number({ expected: 'a number' });
const boolean = Type.Boolean({ expected: 'a boolean' });

export const openAiChatRequestSchema = Type.Object(
  {
    model: nonEmptyString,
    messages: Type.Array(message, { minItems: 1, expected: 'a non-empty array of messages' }),
    stream: optional(boolean),
    stream_options: optional(
      Type.Object({ include_usage: optional(boolean) }, { expected: 'an object such as {"include_usage":true}' }),
    ),
    max_tokens: optional(positiveInteger),
    max_completion_tokens: optional(positiveInteger),
    temperature: optional(number),
    top_p: optional(number),
    n: optional(positiveInteger),
    stop: optional(Type.Union([Type.String(), Type.Array(Type.String())], { expected: 'a string or an array of strings' })),
    user: optional(anyString),
    tools: optional(Type.Array(tool, { expected: 'an array of tools' })),
    tool_choice: optional(toolChoice),
    parallel_tool_calls: optional(boolean),
    reasoning_effort: optional(anyString),
    response_format: optional(Type.Object({ type: anyString }, { expected: 'an object with a "type"' })),
    functions: optional(Type.Array(anyObject, { expected: 'an array of function definitions' })),
    function_call: optional(Type.Union([Type.String(), anyObject], { expected: '"none", "auto" or {"name":…}' })),
  },
  { expected: 'a JSON object' },
);

const compiledSchema = TypeCompiler.Compile(openAiChatRequestSchema);

/** The first problem with a request body, as an invalid_request error naming the field; undefined if fine. */
export function validateRequest(body: unknown): GatewayError | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return new GatewayError('invalid_request', 'the request body must be a JSON object');
  }
  if (compiledSchema.Check(body)) return undefined;
  const found = compiledSchema.Errors(body).First();
  if (found === undefined) return new GatewayError('invalid_request', 'the request body is not valid');
  const first = innermostError(found);
  const param = fieldPath(first.path);
  const expected = typeof first.schema.expected === 'string' ? first.schema.expected : first.message;
  const message =
    first.value === undefined
      ? `${param}: is required, expected ${expected}`
      : `${param}: expected ${expected}, got ${describeValue(first.value)}`;
  return new GatewayError('invalid_request', message, { param });
}

/**
 * A union (every nullable field is one) reports only "no branch matched". When the value has the JSON
 * type of exactly one branch (an array where an array or null is allowed), that branch's own first
 * problem is the one to report: `tools[0].function.name`, not `tools`.
 */
function innermostError(error: ValueError): ValueError {
  const branches: unknown = error.schema.anyOf;
  if (!Array.isArray(branches) || error.errors.length !== branches.length) return error;
  const matching = branches.flatMap((branch: TSchema, index) => (hasJsonTypeOf(branch, error.value) ? [index] : []));
  if (matching.length !== 1) return error;
  const inner = error.errors[matching[0]].First();
  return inner === undefined ? error : innermostError(inner);
}

function hasJsonTypeOf(schema: TSchema, value: unknown): boolean {
  switch (schema.type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'number':
    case 'integer':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    default:
      return false;
  }
}

/** A JSON pointer such as `/messages/2/content` → `messages[2].content`. */
export function fieldPath(pointer: string): string {
  let path = '';
  for (const encoded of pointer.split('/').slice(1)) {
    const segment = encoded.replaceAll('~1', '/').replaceAll('~0', '~');
    if (segment !== '' && isArrayIndex(segment)) path += `[${segment}]`;
    else path += path === '' ? segment : `.${segment}`;
  }
  return path;
}

function isArrayIndex(segment: string): boolean {
  for (const character of segment) if (character < '0' || character > '9') return false;
  return true;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}
