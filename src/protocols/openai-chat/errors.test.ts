import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../core/gateway-error.ts';
import { decodeError, encodeError, encodeStreamError } from './errors.ts';

const openAiError = (error: Record<string, unknown>) => JSON.stringify({ error: { param: null, code: null, ...error } });

describe('decodeError', () => {
  it('reads an OpenAI error body and keeps status, type, code, param and the headers a client needs', () => {
    const headers = new Headers({
      'content-type': 'application/json',
      'retry-after': '20',
      'x-request-id': 'req_abc',
      'x-ratelimit-remaining-requests': '0',
      'openai-processing-ms': '12',
      'set-cookie': '__cf_bm=secret',
      authorization: 'Bearer sk-leaked',
    });
    const error = decodeError(
      429,
      openAiError({ message: 'Rate limit reached for gpt-4.1-mini on requests per min (RPM): Limit 3, Used 3.', type: 'requests', code: 'rate_limit_exceeded', param: null }),
      headers,
    );
    assert.equal(error.kind, 'rate_limit');
    assert.equal(error.status, 429);
    assert.equal(error.message, 'Rate limit reached for gpt-4.1-mini on requests per min (RPM): Limit 3, Used 3.');
    assert.equal(error.upstreamType, 'requests');
    assert.equal(error.code, 'rate_limit_exceeded');
    assert.equal(error.retryAfter, '20');
    assert.deepEqual(Object.fromEntries(error.upstreamHeaders ?? []), {
      'retry-after': '20',
      'x-request-id': 'req_abc',
      'x-ratelimit-remaining-requests': '0',
      'openai-processing-ms': '12',
    });
  });

  it('treats 429 insufficient_quota as billing, not a rate limit to retry', () => {
    const error = decodeError(429, openAiError({ message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' }), new Headers());
    assert.equal(error.kind, 'billing');
  });

  it('maps statuses onto kinds and keeps param', () => {
    const kindOf = (status: number) => decodeError(status, openAiError({ message: 'x', type: 'invalid_request_error' }), new Headers()).kind;
    assert.deepEqual([400, 401, 403, 404, 413, 500, 502, 503, 504].map(kindOf), [
      'invalid_request', 'authentication', 'permission', 'not_found', 'request_too_large', 'api_error', 'bad_gateway', 'overloaded', 'timeout',
    ]);
    const error = decodeError(400, openAiError({ message: "Invalid type for 'max_tokens'", type: 'invalid_request_error', param: 'max_tokens', code: 'invalid_type' }), new Headers());
    assert.equal(error.param, 'max_tokens');
  });

  it('reads the error shapes of other OpenAI-compatible servers', () => {
    const vllm = decodeError(400, JSON.stringify({ object: 'error', message: 'max_tokens too large', type: 'BadRequestError', param: null, code: 400 }), new Headers());
    assert.equal(vllm.message, 'max_tokens too large');
    assert.equal(decodeError(422, JSON.stringify({ detail: 'Field required' }), new Headers()).message, 'Field required');
    assert.equal(decodeError(500, JSON.stringify({ error: 'boom' }), new Headers()).message, 'boom');
  });

  it('uses a trimmed, capped body text when the body is not JSON', () => {
    const page = `  <html>${'x'.repeat(5000)}</html>\n`;
    const error = decodeError(502, page, new Headers());
    assert.equal(error.kind, 'bad_gateway');
    assert.ok(error.message.startsWith('<html>'));
    assert.ok(error.message.length <= 500);
    assert.equal(decodeError(503, '', new Headers()).message, 'upstream answered HTTP 503');
  });
});

describe('encodeError', () => {
  it('writes an OpenAI error body with OpenAI types and codes', () => {
    const bodyOf = (error: GatewayError) => encodeError(error).body;
    assert.deepEqual(bodyOf(new GatewayError('invalid_request', 'messages[0].role: expected one of …', { param: 'messages[0].role' })), {
      error: { message: 'messages[0].role: expected one of …', type: 'invalid_request_error', param: 'messages[0].role', code: null },
    });
    assert.deepEqual(bodyOf(new GatewayError('authentication', 'invalid x-api-key')), {
      error: { message: 'invalid x-api-key', type: 'invalid_request_error', param: null, code: 'invalid_api_key' },
    });
    assert.deepEqual(bodyOf(new GatewayError('rate_limit', 'slow down')), {
      error: { message: 'slow down', type: 'requests', param: null, code: 'rate_limit_exceeded' },
    });
    assert.deepEqual(bodyOf(new GatewayError('rate_limit', 'tokens', { upstreamType: 'tokens', code: 'rate_limit_exceeded' })), {
      error: { message: 'tokens', type: 'tokens', param: null, code: 'rate_limit_exceeded' },
    });
    assert.deepEqual(bodyOf(new GatewayError('api_error', 'Internal server error')), {
      error: { message: 'Internal server error', type: 'server_error', param: null, code: null },
    });
  });

  it('keeps the status class, answering 503 for overload and 429 insufficient_quota for billing', () => {
    const statusOf = (error: GatewayError) => encodeError(error).status;
    assert.equal(statusOf(new GatewayError('overloaded', 'Overloaded', { status: 529 })), 503);
    assert.equal(statusOf(new GatewayError('api_error', 'odd', { status: 529 })), 503);
    assert.equal(statusOf(new GatewayError('timeout', 'slow')), 504);
    assert.equal(statusOf(new GatewayError('bad_gateway', 'broken')), 502);
    assert.equal(statusOf(new GatewayError('request_too_large', 'big')), 413);
    assert.equal(statusOf(new GatewayError('invalid_request', 'unprocessable', { status: 422 })), 422);
    const billing = encodeError(new GatewayError('billing', 'Your credit balance is too low', { status: 402, upstreamType: 'billing_error' }));
    assert.equal(billing.status, 429);
    assert.deepEqual(billing.body, { error: { message: 'Your credit balance is too low', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } });
  });

  it('sends retry-after and the upstream\'s retry, request-id and rate-limit headers, but no account details', () => {
    // The same set the gateway forwards on success (core/forwarded-headers.ts): on a converted route the
    // real upstream's rate-limit state is still what the client is subject to.
    const upstreamHeaders = new Headers({ 'request-id': 'req_011', 'x-ratelimit-limit-requests': '50', 'anthropic-ratelimit-requests-limit': '50', 'content-length': '99', 'openai-organization': 'acme' });
    const encoded = encodeError(new GatewayError('rate_limit', 'slow down', { retryAfter: '30', upstreamHeaders }));
    assert.equal(encoded.headers.get('retry-after'), '30');
    assert.equal(encoded.headers.get('request-id'), 'req_011');
    assert.equal(encoded.headers.get('x-ratelimit-limit-requests'), '50');
    assert.equal(encoded.headers.get('anthropic-ratelimit-requests-limit'), '50');
    assert.equal(encoded.headers.get('openai-organization'), null);
    assert.equal(encoded.headers.get('content-length'), null);
    assert.equal(encoded.headers.get('content-type'), 'application/json');
  });

  it('round-trips through decodeError', () => {
    for (const error of [
      new GatewayError('rate_limit', 'slow', { retryAfter: '5' }),
      new GatewayError('billing', 'pay'),
      new GatewayError('not_found', 'no model', { code: 'model_not_found' }),
      new GatewayError('overloaded', 'busy'),
    ]) {
      const encoded = encodeError(error);
      const decoded = decodeError(encoded.status, JSON.stringify(encoded.body), encoded.headers);
      assert.deepEqual([decoded.kind, decoded.message, decoded.retryAfter], [error.kind, error.message, error.retryAfter]);
    }
  });

  it('writes an in-band stream error as one data event', () => {
    assert.equal(
      encodeStreamError(new GatewayError('bad_gateway', 'upstream stream ended before it finished')),
      'data: {"error":{"message":"upstream stream ended before it finished","type":"server_error","param":null,"code":null}}\n\n',
    );
  });
});
