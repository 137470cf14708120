import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError, type ErrorKind } from '../../core/gateway-error.ts';
import { parseSseBytes } from '../../../test/fixtures/load-fixture.ts';
import { decodeError, encodeError, encodeStreamError } from './errors.ts';

const errorBody = (type: string, message: string) => JSON.stringify({ type: 'error', error: { type, message }, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' });

/** The official SDK receiving an encoded error, as if from api.anthropic.com. */
async function sdkErrorFor(error: GatewayError): Promise<unknown> {
  const encoded = encodeError(error);
  const headers = new Headers(encoded.headers);
  headers.set('content-type', 'application/json');
  const client = new Anthropic({
    apiKey: 'test-key',
    baseURL: 'http://localhost',
    maxRetries: 0,
    fetch: async () => new Response(JSON.stringify(encoded.body), { status: encoded.status, headers }),
  });
  try {
    await client.messages.create({ model: 'claude-x', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
  } catch (thrown) {
    return thrown;
  }
  assert.fail('the SDK should have thrown');
}

describe('Anthropic upstream errors → GatewayError', () => {
  it('reads the error type, message, request id and the headers a client needs', () => {
    const headers = new Headers({
      'content-type': 'application/json',
      'retry-after': '17',
      'request-id': 'req_011CSHoEeqs5C35K2UUqR7Fy',
      'anthropic-ratelimit-requests-remaining': '0',
      'set-cookie': 'session=secret',
    });
    const error = decodeError(429, errorBody('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'), headers);
    assert.equal(error.kind, 'rate_limit');
    assert.equal(error.status, 429);
    assert.equal(error.message, 'Number of request tokens has exceeded your per-minute rate limit');
    assert.equal(error.upstreamType, 'rate_limit_error');
    assert.equal(error.retryAfter, '17');
    assert.deepEqual([...error.upstreamHeaders!.entries()].sort(), [
      ['anthropic-ratelimit-requests-remaining', '0'],
      ['request-id', 'req_011CSHoEeqs5C35K2UUqR7Fy'],
      ['retry-after', '17'],
    ]);
  });

  it('takes the kind from the error type, and from the status when the type is unknown', () => {
    assert.equal(decodeError(529, errorBody('overloaded_error', 'Overloaded'), new Headers()).kind, 'overloaded');
    assert.equal(decodeError(400, errorBody('billing_error', 'Credit balance too low'), new Headers()).kind, 'billing');
    assert.equal(decodeError(503, errorBody('shiny_new_error', 'x'), new Headers()).kind, 'overloaded');
    assert.equal(decodeError(418, errorBody('shiny_new_error', 'x'), new Headers()).kind, 'invalid_request');
  });

  it('keeps a non-JSON body (a proxy page) as the message, trimmed and capped', () => {
    const page = `  <html><body>502 Bad Gateway${' padding'.repeat(500)}</body></html>\n`;
    const error = decodeError(502, page, new Headers());
    assert.equal(error.kind, 'bad_gateway');
    assert.equal(error.status, 502);
    assert.ok(error.message.startsWith('<html><body>502 Bad Gateway'));
    assert.ok(error.message.length <= 1000);
    assert.equal(decodeError(500, '', new Headers()).message, 'upstream answered HTTP 500');
  });

  it('takes the request id from the body when the header is missing', () => {
    const error = decodeError(500, errorBody('api_error', 'Internal server error'), new Headers());
    assert.equal(error.upstreamHeaders?.get('request-id'), 'req_011CSHoEeqs5C35K2UUqR7Fy');
  });
});

describe('GatewayError → Anthropic client errors', () => {
  it('gives each kind its Anthropic error type and keeps the status', () => {
    const expected: Record<ErrorKind, [string, number]> = {
      invalid_request: ['invalid_request_error', 400],
      authentication: ['authentication_error', 401],
      billing: ['billing_error', 402],
      permission: ['permission_error', 403],
      not_found: ['not_found_error', 404],
      request_too_large: ['request_too_large', 413],
      unsupported_media_type: ['invalid_request_error', 415],
      rate_limit: ['rate_limit_error', 429],
      api_error: ['api_error', 500],
      bad_gateway: ['api_error', 502],
      timeout: ['timeout_error', 504],
      overloaded: ['overloaded_error', 529],
    };
    for (const [kind, [type, status]] of Object.entries(expected)) {
      const encoded = encodeError(new GatewayError(kind as ErrorKind, 'something happened'));
      assert.equal(encoded.status, status, kind);
      assert.deepEqual(encoded.body, { type: 'error', error: { type, message: 'something happened' } }, kind);
    }
  });

  it('answers an OpenAI 503 as a 529 overloaded_error', () => {
    const encoded = encodeError(new GatewayError('overloaded', 'The server is overloaded', { status: 503 }));
    assert.equal(encoded.status, 529);
    assert.equal((encoded.body as { error: { type: string } }).error.type, 'overloaded_error');
  });

  it('forwards retry-after, the request id and rate-limit headers', () => {
    const upstream = decodeError(
      429,
      errorBody('rate_limit_error', 'slow down'),
      new Headers({
        'retry-after': '30',
        'x-should-retry': 'true',
        'request-id': 'req_1',
        'anthropic-ratelimit-tokens-reset': '2025-11-20T10:00:00Z',
        server: 'cloudflare',
      }),
    );
    const encoded = encodeError(upstream);
    assert.equal(encoded.headers.get('retry-after'), '30');
    assert.equal(encoded.headers.get('x-should-retry'), 'true');
    assert.equal(encoded.headers.get('request-id'), 'req_1');
    assert.equal(encoded.headers.get('anthropic-ratelimit-tokens-reset'), '2025-11-20T10:00:00Z');
    assert.equal(encoded.headers.get('server'), null);
    assert.equal((encoded.body as { request_id?: string }).request_id, 'req_1');
  });

  it('makes the official SDK raise the exception class and type it would for the real API', async () => {
    const rateLimited = await sdkErrorFor(new GatewayError('rate_limit', 'slow down', { retryAfter: '5' }));
    assert.ok(rateLimited instanceof Anthropic.RateLimitError);
    assert.equal(rateLimited.type, 'rate_limit_error');
    assert.equal(rateLimited.headers?.get('retry-after'), '5');
    const overloaded = await sdkErrorFor(new GatewayError('overloaded', 'busy', { status: 503 }));
    assert.ok(overloaded instanceof Anthropic.InternalServerError);
    assert.equal(overloaded.status, 529);
    assert.equal(overloaded.type, 'overloaded_error');
    const invalid = await sdkErrorFor(new GatewayError('invalid_request', 'max_tokens is required', { param: 'max_tokens' }));
    assert.ok(invalid instanceof Anthropic.BadRequestError);
  });

  it('encodes a lone in-band error event with the event name error', async () => {
    const text = encodeStreamError(new GatewayError('bad_gateway', 'upstream stream ended before it finished'));
    const [message] = await parseSseBytes(new TextEncoder().encode(text));
    assert.equal(message.event, 'error');
    assert.deepEqual(JSON.parse(message.data), { type: 'error', error: { type: 'api_error', message: 'upstream stream ended before it finished' } });
  });
});
