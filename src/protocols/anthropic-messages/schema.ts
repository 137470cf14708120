/**
 * The shape check every Anthropic Messages request goes through before routing. Permissive on purpose:
 * unknown fields are allowed everywhere (passthrough forwards them to an upstream that may know them)
 * and content blocks are only required to name their `type`; the decoder checks what it converts.
 * Compiled once; the happy path is a single `Check` call.
 */
import { Kind, Type, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { ValueError } from '@sinclair/typebox/errors';
import { GatewayError } from '../../core/gateway-error.ts';

/** Optional parameters may also be sent as null, which means "not set". */
const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const contentBlock = Type.Object({ type: Type.String() }, { description: 'a content block object with a string "type"' });

const message = Type.Object(
  {
    role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
    content: Type.Union([Type.String(), Type.Array(contentBlock, { description: 'an array of content blocks' })]),
  },
  { description: 'a message object ({role, content})' },
);

const systemTextBlock = Type.Object(
  { type: Type.Literal('text'), text: Type.String() },
  { description: 'a text block ({type: "text", text})' },
);

const tool = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    input_schema: Type.Optional(Type.Object({}, { description: 'a JSON Schema object' })),
    type: Type.Optional(Type.String()),
  },
  { description: 'a tool object ({name, description, input_schema})' },
);

const toolChoice = Type.Object(
  {
    type: Type.Union([Type.Literal('auto'), Type.Literal('any'), Type.Literal('tool'), Type.Literal('none')]),
    name: Type.Optional(Type.String()),
    disable_parallel_tool_use: Type.Optional(Type.Boolean()),
  },
  { description: 'a tool_choice object ({type})' },
);

const thinking = Type.Object(
  { type: Type.String(), budget_tokens: Type.Optional(Type.Integer({ minimum: 1 })) },
  { description: 'a thinking object ({type, budget_tokens})' },
);

const metadata = Type.Object({ user_id: Type.Optional(nullable(Type.String())) }, { description: 'a metadata object' });

/** Property order is the order problems are reported in. */
export const anthropicRequestSchema = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    max_tokens: Type.Integer({ minimum: 1 }),
    messages: Type.Array(message, { minItems: 1, description: 'a non-empty array of messages' }),
    system: Type.Optional(
      nullable(Type.Union([Type.String(), Type.Array(systemTextBlock, { description: 'an array of text blocks' })])),
    ),
    stream: Type.Optional(nullable(Type.Boolean())),
    temperature: Type.Optional(nullable(Type.Number())),
    top_p: Type.Optional(nullable(Type.Number())),
    top_k: Type.Optional(nullable(Type.Integer({ minimum: 0 }))),
    stop_sequences: Type.Optional(nullable(Type.Array(Type.String(), { description: 'an array of strings' }))),
    tools: Type.Optional(nullable(Type.Array(tool, { description: 'an array of tools' }))),
    tool_choice: Type.Optional(nullable(toolChoice)),
    thinking: Type.Optional(nullable(thinking)),
    metadata: Type.Optional(nullable(metadata)),
  },
  { description: 'a JSON object' },
);

const compiledSchema = TypeCompiler.Compile(anthropicRequestSchema);

/** The first problem with a request body, or undefined when it is acceptable. */
export function validateRequest(body: unknown): GatewayError | undefined {
  if (compiledSchema.Check(body)) return undefined;
  const first = compiledSchema.Errors(body).First();
  if (first === undefined) return new GatewayError('invalid_request', 'The request body is not valid.');
  const problem = mostSpecific(first);
  const field = fieldPath(problem.path);
  if (field === '') {
    return new GatewayError('invalid_request', `The request body must be a JSON object, but it is ${describeValue(body)}.`);
  }
  const message =
    problem.value === undefined
      ? `${field} is required: it must be ${describeSchema(problem.schema)}.`
      : `${field} must be ${describeSchema(problem.schema)}, but it is ${describeValue(problem.value)}.`;
  return new GatewayError('invalid_request', message, { param: field });
}

/**
 * A union fails as a whole ("content must be a string or an array"); when the value has the JSON type of
 * one non-literal member (an array, for an array member), that member's own first error says far more
 * precisely what is wrong (`messages[0].content[2].type`).
 */
function mostSpecific(error: ValueError): ValueError {
  if (error.schema[Kind] !== 'Union') return error;
  const members = error.schema.anyOf as TSchema[];
  const valueType = jsonTypeOf(error.value);
  const matching = members.findIndex((member) => acceptsJsonType(member, valueType));
  if (matching === -1) return error;
  const inner = error.errors[matching]?.First();
  return inner === undefined ? error : mostSpecific(inner);
}

/** `/messages/1/content/0/type` → `messages[1].content[0].type`. */
function fieldPath(pointer: string): string {
  let path = '';
  for (const escaped of pointer.split('/').slice(1)) {
    const segment = escaped.replaceAll('~1', '/').replaceAll('~0', '~');
    if (/^\d+$/.test(segment)) path += `[${segment}]`;
    else path += path === '' ? segment : `.${segment}`;
  }
  return path;
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Whether a non-literal (part of a) schema takes values of this JSON type. */
function acceptsJsonType(schema: TSchema, valueType: string): boolean {
  switch (schema[Kind]) {
    case 'Union':
      return (schema.anyOf as TSchema[]).some((member) => acceptsJsonType(member, valueType));
    case 'Literal':
      return false;
    default:
      return jsonTypeOfSchema(schema) === valueType;
  }
}

function jsonTypeOfSchema(schema: TSchema): string {
  switch (schema[Kind]) {
    case 'Integer':
      return 'number';
    default:
      return String(schema[Kind]).toLowerCase();
  }
}

function describeSchema(schema: TSchema): string {
  if (typeof schema.description === 'string') return schema.description;
  switch (schema[Kind]) {
    case 'String':
      return schema.minLength >= 1 ? 'a non-empty string' : 'a string';
    case 'Number':
      return 'a number';
    case 'Integer':
      return typeof schema.minimum === 'number' ? `an integer ≥ ${schema.minimum}` : 'an integer';
    case 'Boolean':
      return 'true or false';
    case 'Null':
      return 'null';
    case 'Literal':
      return JSON.stringify(schema.const);
    case 'Union': {
      const members = schema.anyOf as TSchema[];
      if (members.every((member) => member[Kind] === 'Literal')) {
        return `one of ${members.map((member) => JSON.stringify(member.const)).join(', ')}`;
      }
      return members.map(describeSchema).join(' or ');
    }
    case 'Array':
      return 'an array';
    case 'Object':
      return 'an object';
    default:
      return 'a valid value';
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  switch (typeof value) {
    case 'string': {
      if (value === '') return 'an empty string';
      const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
      return `the string ${JSON.stringify(shown)}`;
    }
    case 'number':
      return `the number ${value}`;
    case 'boolean':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}
