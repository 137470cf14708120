/**
 * fast-check arbitraries for what a careless or hostile client can send: valid requests of both APIs,
 * the same with one field anywhere replaced by a value of the wrong type (or removed), whole bodies
 * that are not requests at all (random bytes, cut-off JSON, deep nesting, numbers JSON.stringify cannot
 * write), very large requests, and hostile headers.
 *
 * Some values can only be written as raw JSON text (1e309, -0, `__proto__` as a key, 100 000 nested
 * arrays): they travel through the object tree as a marker string and are spliced into the text last.
 */
import fc from 'fast-check';
import { ANTHROPIC_MODEL, MAX_BODY_BYTES, MOCK_MODEL, OPENAI_MODEL } from '../support/e2e-setup.ts';

export type Api = 'openai' | 'anthropic';

/** What one fuzz case sends: the body as bytes (or nothing) and the exact headers. */
export type HostileRequest = { method: string; path: string; headers: Record<string, string>; body?: Uint8Array<ArrayBuffer>; label: string };

/** The request as a reader can replay it: method, path, headers and (the start of) the body. */
export function describeRequest(request: HostileRequest): string {
  const headers = Object.entries(request.headers).map(([name, value]) => `  ${name}: ${value.length > 80 ? `${value.slice(0, 80)}… (${value.length} chars)` : value}`);
  const body = request.body === undefined ? '(no body)' : new TextDecoder().decode(request.body);
  const shownBody = body.length > 600 ? `${JSON.stringify(body.slice(0, 600))}… (${request.body!.length} bytes)` : JSON.stringify(body);
  return `fuzz case "${request.label}": ${request.method} ${request.path}\n${headers.join('\n')}\n  body: ${shownBody}`;
}

/** fast-check prints a counterexample with this instead of every byte of a megabyte body. */
export function printableRequest(request: HostileRequest): HostileRequest {
  return Object.defineProperty(request, fc.toStringMethod, { value: () => describeRequest(request), enumerable: false });
}

const rawMarker = '\u0000raw:';
const rawMarkerEnd = ':raw\u0000';
/** A value written as this exact JSON text in the body (which may not even be valid JSON). */
const raw = (jsonText: string): string => `${rawMarker}${jsonText}${rawMarkerEnd}`;

/** JSON text of a value, with every raw marker replaced by its text. */
export function renderJson(value: unknown): string {
  const text = JSON.stringify(value);
  const openMarker = JSON.stringify(rawMarker).slice(0, -1);
  const closeMarker = JSON.stringify(rawMarkerEnd).slice(1);
  let rendered = '';
  let position = 0;
  for (;;) {
    const start = text.indexOf(openMarker, position);
    if (start === -1) return rendered + text.slice(position);
    const end = text.indexOf(closeMarker, start);
    rendered += text.slice(position, start) + JSON.parse(`"${text.slice(start + openMarker.length, end)}"`);
    position = end + closeMarker.length;
  }
}

const nested = (depth: number, open: string, close: string, inner = '1') => open.repeat(depth) + inner + close.repeat(depth);

/** Strings that trouble encoders and tokenizers: lone surrogates, emoji, NUL, RTL marks, very long. */
const oddString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('\ud800', '\udfff', 'a\ud83d', '\ude00b', '😀👩‍👩‍👧‍👦', '\u0000', '\u202e', '\ufeff', 'mock', '[DONE]', 'data: x\n\n'),
  fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)), maxLength: 6 }),
  // One long word: a tokenizer must not take quadratic time over it (see the test of a 100 000-character word).
  fc.integer({ min: 1_000, max: 5_000 }).map((length) => 'é'.repeat(length)),
  fc.integer({ min: 1_000, max: 200_000 }).map((length) => 'lorem ipsum '.repeat(length / 12)),
);

/** Values JSON can carry but no field expects, plus texts only a raw body can hold. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: oddString },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, 2 ** 53 + 1, Number.MAX_VALUE, '', [], {}, [null], { type: 5 }, 'NaN', 'Infinity'),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      raw('1e309'),
      raw('-1e309'),
      raw('-0'),
      raw('1E400'),
      raw('5e-400'),
      raw('123456789012345678901234567890'),
      raw('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'),
      raw('{"__proto__":null}'),
      raw(nested(5_000, '[', ']')),
      raw(nested(5_000, '{"a":', '}')),
      raw(nested(100_000, '[', ']')),
      raw(`[${Array.from({ length: 5_000 }, () => '{}').join(',')}]`),
    ),
  },
);

const text = fc.oneof({ weight: 5, arbitrary: fc.string({ maxLength: 40 }) }, { weight: 1, arbitrary: oddString });
const model = fc.constantFrom(OPENAI_MODEL, ANTHROPIC_MODEL, MOCK_MODEL, 'alias-openai', 'alias-anthropic', 'no-route-for-fuzz', '');
/** Tool schemas a converter must carry without understanding them. */
const toolSchema = fc.oneof(
  fc.constant({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
  fc.constant({ type: 'object', properties: { self: { $ref: '#' } }, additionalProperties: { anyOf: [{ type: 'null' }, { $ref: '#' }] } }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  fc.constant({ type: 'array', items: { type: 'object', properties: { '': {}, '__proto__': { type: 'number' } } } }),
);
const toolName = fc.oneof(fc.constantFrom('get_weather', 'a', 'x'.repeat(200)), fc.string({ minLength: 1, maxLength: 20 }));

const openAiContent = fc.oneof(
  text,
  fc.array(
    fc.oneof(
      text.map((value) => ({ type: 'text', text: value })),
      fc.constant({ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }),
      fc.constant({ type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } }),
      fc.constant({ type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' } }),
    ),
    { minLength: 1, maxLength: 3 },
  ),
);
const openAiMessage = fc.oneof(
  fc.record({ role: fc.constantFrom('user', 'system', 'developer'), content: openAiContent }),
  fc.record({ role: fc.constant('assistant'), content: text }),
  fc.record({
    role: fc.constant('assistant'),
    content: fc.constant(null),
    tool_calls: fc.array(fc.record({ id: fc.constantFrom('call_1', 'call_2'), type: fc.constant('function'), function: fc.record({ name: toolName, arguments: fc.constantFrom('{}', '{"city":"Paris"}', '') }) }), { minLength: 1, maxLength: 2 }),
  }),
  fc.record({ role: fc.constant('tool'), tool_call_id: fc.constantFrom('call_1', 'call_2'), content: text }),
);
const openAiTool = fc.record({ type: fc.constant('function'), function: fc.record({ name: toolName, description: text, parameters: toolSchema }, { requiredKeys: ['name'] }) });

export const validOpenAiRequest = fc.record(
  {
    model,
    messages: fc.array(openAiMessage, { minLength: 1, maxLength: 4 }),
    stream: fc.boolean(),
    stream_options: fc.record({ include_usage: fc.boolean() }),
    max_tokens: fc.integer({ min: 1, max: 64 }),
    max_completion_tokens: fc.integer({ min: 1, max: 64 }),
    temperature: fc.double({ min: 0, max: 2, noNaN: true }),
    top_p: fc.double({ min: 0, max: 1, noNaN: true }),
    n: fc.constant(1),
    stop: fc.oneof(text, fc.array(text, { maxLength: 3 })),
    tools: fc.array(openAiTool, { maxLength: 3 }),
    tool_choice: fc.constantFrom('none', 'auto', 'required'),
    response_format: fc.constantFrom({ type: 'text' }, { type: 'json_object' }),
    user: text,
    seed: fc.integer(),
  },
  { requiredKeys: ['model', 'messages'] },
);

const anthropicBlock = fc.oneof(
  text.map((value) => ({ type: 'text', text: value })),
  fc.constant({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }),
  fc.constant({ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }),
  text.map((value) => ({ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: value }, { type: 'text', text: 'nested' }] })),
  fc.constant({ type: 'thinking', thinking: 'hm', signature: 'sig' }),
  fc.constant({ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'doc' } }),
);
const anthropicMessage = fc.record({ role: fc.constantFrom('user', 'assistant'), content: fc.oneof(text, fc.array(anthropicBlock, { minLength: 1, maxLength: 3 })) });

export const validAnthropicRequest = fc.record(
  {
    model,
    max_tokens: fc.integer({ min: 1, max: 64 }),
    messages: fc.array(anthropicMessage, { minLength: 1, maxLength: 4 }),
    system: fc.oneof(text, fc.array(text.map((value) => ({ type: 'text', text: value })), { maxLength: 2 })),
    stream: fc.boolean(),
    temperature: fc.double({ min: 0, max: 1, noNaN: true }),
    top_k: fc.integer({ min: 0, max: 100 }),
    stop_sequences: fc.array(text, { maxLength: 3 }),
    tools: fc.array(fc.record({ name: toolName, description: text, input_schema: toolSchema }, { requiredKeys: ['name'] }), { maxLength: 3 }),
    tool_choice: fc.constantFrom({ type: 'auto' }, { type: 'any' }, { type: 'none' }, { type: 'tool', name: 'get_weather' }),
    thinking: fc.constantFrom({ type: 'enabled', budget_tokens: 1024 }, { type: 'disabled' }),
    metadata: fc.record({ user_id: text }),
  },
  { requiredKeys: ['model', 'max_tokens', 'messages'] },
);

type Path = Array<string | number>;

function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => [[...prefix, index], ...pathsOf(item, [...prefix, index])]);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => [[...prefix, key], ...pathsOf(item, [...prefix, key])]);
  }
  return [];
}

/** A copy of `value` with the value at `path` replaced (or removed when `replacement` is `remove`). */
function withChange(value: unknown, path: Path, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    if (replacement === remove && rest.length === 0) copy.splice(head as number, 1);
    else copy[head as number] = withChange(copy[head as number], rest, replacement);
    return copy;
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  if (replacement === remove && rest.length === 0) delete copy[head];
  else copy[head] = withChange(copy[head], rest, replacement);
  return copy;
}
const remove = Symbol('remove');

/** A valid request with one to three fields (anywhere, at any depth) replaced, removed or added. */
function mutated(valid: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<unknown> {
  const change = fc.tuple(fc.nat(), fc.oneof({ weight: 4, arbitrary: hostileValue }, { weight: 1, arbitrary: fc.constant<unknown>(remove) }));
  return fc.tuple(valid, fc.array(change, { minLength: 1, maxLength: 3 }), fc.option(fc.tuple(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', ''), hostileValue))).map(
    ([request, changes, extraField]) => {
      let result: unknown = request;
      for (const [pick, replacement] of changes) {
        const paths = pathsOf(result);
        if (paths.length > 0) result = withChange(result, paths[pick % paths.length], replacement);
      }
      if (extraField !== null && result !== null && typeof result === 'object' && !Array.isArray(result)) {
        // A computed key makes `__proto__` an own property, which JSON.stringify writes like any other.
        result = { ...result, [extraField[0]]: extraField[1] };
      }
      return result;
    },
  );
}

const encoder = new TextEncoder();

/** Bodies for one API's endpoint, each with a label saying what kind of hostile it is. */
export function hostileBody(api: Api): fc.Arbitrary<{ label: string; body?: Uint8Array<ArrayBuffer> }> {
  const valid = (api === 'openai' ? validOpenAiRequest : validAnthropicRequest) as fc.Arbitrary<Record<string, unknown>>;
  const asJson = (label: string) => (value: unknown) => ({ label, body: encoder.encode(renderJson(value)) });
  return fc.oneof(
    { weight: 10, arbitrary: mutated(valid).map(asJson('mutated request')) },
    { weight: 3, arbitrary: valid.map(asJson('valid request')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((bytes) => ({ label: 'random bytes', body: new Uint8Array(bytes) })) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((body) => ({ label: 'random text', body: encoder.encode(body) })) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(asJson('a JSON value that is not a request')) },
    {
      weight: 2,
      arbitrary: fc.tuple(valid, fc.double({ min: 0, max: 1, noNaN: true })).map(([request, fraction]) => {
        const full = renderJson(request);
        return { label: 'truncated JSON', body: encoder.encode(full.slice(0, Math.floor(full.length * fraction))) };
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.integer({ min: 1_000, max: 100_000 }), fc.constantFrom('[', '{"a":')).map(([depth, open]) => ({
        label: `${depth} nested ${open}`,
        body: encoder.encode(open.repeat(depth)),
      })),
    },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', 'null', '"text"', '[]', '{}', 'NaN', '{"model":1e309}', '\ufeff{}').map((body) => ({ label: 'tiny body', body: encoder.encode(body) })) },
    { weight: 1, arbitrary: fc.constant({ label: 'no body' }) },
    { weight: 1, arbitrary: fc.tuple(valid, fc.integer({ min: 1_000, max: 3_000 })).map(([request, count]) => asJson(`${count} messages`)(manyMessages(api, request, count))) },
    { weight: 1, arbitrary: fc.tuple(valid, fc.constantFrom(MAX_BODY_BYTES - 200, MAX_BODY_BYTES + 10)).map(([request, size]) => asJson(`a ${size}-character text`)(withHugeText(api, request, size))) },
  );
}

function manyMessages(api: Api, request: Record<string, unknown>, count: number): Record<string, unknown> {
  const messages = Array.from({ length: count }, (_, index) => ({ role: index % 2 === 0 ? 'user' : 'assistant', content: `turn ${index}` }));
  return { ...request, messages: api === 'openai' ? messages : messages.slice(0, count - (count % 2 === 0 ? 1 : 0)) };
}

function withHugeText(api: Api, request: Record<string, unknown>, size: number): Record<string, unknown> {
  const content = 'lorem ipsum '.repeat(Math.ceil(size / 12)).slice(0, size);
  return { ...request, messages: [{ role: 'user', content }], ...(api === 'anthropic' ? { max_tokens: 8 } : {}) };
}

/** Header values fetch can send: visible ASCII and spaces inside, no CR, LF or NUL. */
const headerValue = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 60 }),
  fc.constantFrom('Bearer', 'Bearer ', 'Bearer  x', 'Basic Zm9vOmJhcg==', '00-00000000000000000000000000000000-0000000000000000-01', 'ff-zz', '2023-06-01', '1999-01-01', '9'.repeat(400)),
  fc.integer({ min: 1_000, max: 7_000 }).map((length) => 'v'.repeat(length)),
);
const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/vnd.api+json',
      'application/jsonx',
      'application/json; charset=utf-16',
      'text/plain',
      'text/event-stream',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded',
      '',
      '*/*',
      ';;;',
    ),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
);
/** Headers fetch sets itself or refuses to send: not something a fetch-based fuzzer can vary. */
const fetchForbids = new Set(['connection', 'content-length', 'expect', 'host', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
const headerName = fc.oneof(
  fc.constantFrom('authorization', 'x-api-key', 'anthropic-version', 'anthropic-beta', 'traceparent', 'tracestate', 'baggage', 'accept', 'accept-encoding', 'x-request-id', 'openai-organization', 'x-forwarded-for'),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/).filter((name) => !fetchForbids.has(name)),
);

export function hostileHeaders(api: Api): fc.Arbitrary<Record<string, string>> {
  return fc.tuple(contentType, fc.boolean(), fc.array(fc.tuple(headerName, headerValue), { maxLength: 4 })).map(([type, usual, extra]) => {
    const headers: Record<string, string> = {};
    if (type !== undefined) headers['content-type'] = type;
    if (usual) Object.assign(headers, api === 'openai' ? { authorization: 'Bearer sk-fuzz' } : { 'x-api-key': 'sk-fuzz', 'anthropic-version': '2023-06-01' });
    for (const [name, value] of extra) headers[name] = value;
    return headers;
  });
}

export function hostileChatRequest(api: Api): fc.Arbitrary<HostileRequest> {
  const path = api === 'openai' ? '/v1/chat/completions' : '/v1/messages';
  return fc.tuple(hostileBody(api), hostileHeaders(api)).map(([body, headers]) => printableRequest({ method: 'POST', path, headers, ...body }));
}

/** Streaming requests: a valid or mutated request that asks for a stream. */
export function hostileStreamingRequest(api: Api): fc.Arbitrary<HostileRequest> {
  const valid = (api === 'openai' ? validOpenAiRequest : validAnthropicRequest) as fc.Arbitrary<Record<string, unknown>>;
  const streaming = (request: unknown) => (request !== null && typeof request === 'object' && !Array.isArray(request) ? { ...request, stream: true } : request);
  const body = fc.oneof(valid.map((request) => ['valid streaming request', streaming(request)] as const), mutated(valid.map((request) => ({ ...request, stream: true }))).map((request) => ['mutated streaming request', request] as const));
  return fc.tuple(body, hostileHeaders(api)).map(([[label, request], headers]) =>
    printableRequest({ method: 'POST', path: api === 'openai' ? '/v1/chat/completions' : '/v1/messages', headers, label, body: encoder.encode(renderJson(request)) }),
  );
}

/** count_tokens takes an Anthropic request without max_tokens; the other paths do not exist (or not for that method). */
export const hostileOtherRequest: fc.Arbitrary<HostileRequest> = fc.oneof(
  fc.tuple(hostileBody('anthropic'), hostileHeaders('anthropic')).map(([body, headers]) => printableRequest({ method: 'POST', path: '/v1/messages/count_tokens', headers, ...body })),
  fc
    .tuple(
      fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
      fc.oneof(
        fc.constantFrom('/', '/v1', '/v1/', '/v1/chat', '/v1/chat/completions/', '/v1//messages', '/v1/messages/', '/v1/messages/batches', '/v2/messages', '/v1/completions', '/v1/embeddings', '/%00', '/..%2f..%2fetc/passwd', '/v1/models/%ZZ', '/v1/models/%E0%A4%A', '/v1/models/a%2Fb', '/v1/models/' + 'm'.repeat(3000)),
        fc.webPath(),
        fc.string({ unit: 'binary-ascii', maxLength: 30 }).map((segment) => `/v1/models/${encodeURIComponent(segment)}`),
      ),
      fc.oneof(hostileHeaders('openai'), hostileHeaders('anthropic')),
      hostileBody('openai'),
    )
    .map(([method, path, headers, body]) =>
      printableRequest({ method, path, headers, label: `${method} ${path.slice(0, 60)}`, body: method === 'GET' || method === 'OPTIONS' ? undefined : body.body }),
    ),
);
