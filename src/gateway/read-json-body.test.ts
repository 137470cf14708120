import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../core/gateway-error.ts';
import { readJsonBody } from './read-json-body.ts';

const post = (body: BodyInit | null, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  new Request('http://localhost/v1/chat/completions', { method: 'POST', body, headers });

async function rejection(request: Request, maxBytes = 1024): Promise<GatewayError> {
  try {
    await readJsonBody(request, maxBytes);
  } catch (error) {
    assert.ok(error instanceof GatewayError);
    return error;
  }
  assert.fail('the body was accepted');
}

describe('reading a JSON body', () => {
  it('returns the raw text and the parsed object', async () => {
    const { raw, body } = await readJsonBody(post('{"model":"m","ünï":"çødé"}'), 1024);
    assert.equal(raw, '{"model":"m","ünï":"çødé"}');
    assert.deepEqual(body, { model: 'm', ünï: 'çødé' });
  });

  it('accepts a missing content type and application/json with a charset', async () => {
    // A byte body, because a string body makes Request add text/plain by itself.
    await readJsonBody(post(new TextEncoder().encode('{}'), {}), 1024);
    await readJsonBody(post('{}', { 'content-type': 'application/json; charset=utf-8' }), 1024);
  });

  it('answers 415 for another content type', async () => {
    const error = await rejection(post('{}', { 'content-type': 'text/plain' }));
    assert.equal(error.status, 415);
    assert.match(error.message, /application\/json/);
  });

  it('answers 400 for invalid JSON, an empty body and a non-object', async () => {
    assert.match((await rejection(post('{"model":'))).message, /not valid JSON/);
    assert.match((await rejection(post(''))).message, /empty/);
    assert.match((await rejection(post('[1,2]'))).message, /must be a JSON object \(got an array\)/);
    assert.equal((await rejection(post('42'))).status, 400);
  });

  it('answers 413 for a body over the limit, declared or streamed', async () => {
    assert.equal((await rejection(post('x'.repeat(2048)))).status, 413);
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let index = 0; index < 8; index++) controller.enqueue(new TextEncoder().encode('y'.repeat(512)));
        controller.close();
      },
    });
    const request = new Request('http://localhost/v1/messages', { method: 'POST', body: chunked, headers: { 'content-type': 'application/json' }, duplex: 'half' } as RequestInit);
    assert.equal((await rejection(request)).status, 413);
  });

  it('answers 400 for nesting deeper than any real request, and counts no brackets inside strings', async () => {
    const deep = `{"model":"m","x":${'['.repeat(600)}${']'.repeat(600)}}`;
    assert.match((await rejection(post(deep), 1024 * 1024)).message, /more than 512 levels/);
    const bracketsInText = JSON.stringify({ model: 'm', text: '['.repeat(900) + '\\"{'.repeat(100) });
    assert.equal((await readJsonBody(post(bracketsInText), 1024 * 1024)).body.model, 'm');
  });
});
