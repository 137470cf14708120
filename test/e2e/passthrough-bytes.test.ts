/**
 * Passthrough is byte-transparent: when client and upstream speak the same API, the gateway's response
 * body is exactly the bytes the upstream sent (recorded streams with `event:` names, `ping`, comments,
 * unknown event types and fields, CRLF line ends), however the upstream's writes were cut, and the
 * upstream's request-id, rate-limit and retry-after headers reach the client.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadFixtureBytes } from '../fixtures/load-fixture.ts';
import { anthropicHeaders, openAiHeaders, post } from '../support/clients.ts';
import { concatBytes, splitAfterEvents, type Chunking } from '../support/chunking.ts';
import { ANTHROPIC_MODEL, OPENAI_MODEL, useEndToEnd } from '../support/e2e-setup.ts';
import { parseSseText } from '../support/stream-checks.ts';

type Protocol = {
  name: 'openai-chat' | 'anthropic-messages';
  path: string;
  request: Record<string, unknown>;
  headers: Record<string, string>;
  /** Headers a real upstream of this API sends that the client must see. */
  upstreamHeaders: Record<string, string>;
};

const protocols: Protocol[] = [
  {
    name: 'openai-chat',
    path: '/v1/chat/completions',
    // include_usage asked, so a recorded usage chunk is the client's to receive.
    request: { model: OPENAI_MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } },
    headers: openAiHeaders,
    upstreamHeaders: {
      'x-request-id': 'req_openai_abc123',
      'openai-processing-ms': '321',
      'x-ratelimit-limit-requests': '10000',
      'x-ratelimit-remaining-requests': '9999',
      'x-ratelimit-reset-tokens': '6ms',
    },
  },
  {
    name: 'anthropic-messages',
    path: '/v1/messages',
    request: { model: ANTHROPIC_MODEL, max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }], stream: true },
    headers: anthropicHeaders,
    upstreamHeaders: {
      'request-id': 'req_011CUpassthrough',
      'anthropic-ratelimit-requests-limit': '4000',
      'anthropic-ratelimit-requests-remaining': '3999',
      'anthropic-ratelimit-tokens-reset': '2026-11-20T22:00:00Z',
    },
  },
];

const chunkings: Array<{ label: string; chunking: Chunking }> = [
  { label: 'one event per write', chunking: { kind: 'events' } },
  { label: '5-byte writes', chunking: { kind: 'bytes', size: 5 } },
  { label: 'random writes (seed 3)', chunking: { kind: 'random', seed: 3, maxSize: 90 } },
];

/** Whether a recorded stream ends properly (done, stop or an error), rather than cut off mid-way. */
function endsProperly(protocol: Protocol, bytes: Uint8Array): boolean {
  const last = parseSseText(new TextDecoder().decode(bytes)).at(-1);
  if (!last) return false;
  if (protocol.name === 'openai-chat') return last.data === '[DONE]' || last.data.startsWith('{"error"');
  return last.event === 'message_stop' || last.event === 'error';
}

/** The bytes up to the end of the last complete event (what remains when a trailing fragment is dropped). */
function wholeEventsOf(bytes: Uint8Array): Uint8Array {
  const pieces = splitAfterEvents(bytes);
  const last = pieces.at(-1) ?? new Uint8Array();
  const lastIsWhole = last.length >= 2 && last[last.length - 1] === 0x0a && (last[last.length - 2] === 0x0a || last[last.length - 3] === 0x0a);
  return concatBytes(lastIsWhole ? pieces : pieces.slice(0, -1));
}

function fixtureNames(protocol: Protocol, extension: string): string[] {
  const folder = new URL(`../fixtures/${protocol.name}/`, import.meta.url);
  return readdirSync(folder)
    .filter((file) => file.endsWith(extension))
    .sort();
}

describe('passthrough is byte-exact', () => {
  const setup = useEndToEnd();

  for (const protocol of protocols) {
    describe(protocol.name, () => {
      for (const file of fixtureNames(protocol, '.sse')) {
        for (const { label, chunking } of chunkings) {
          it(`${file}, ${label}: the client gets the upstream's bytes`, async () => {
            const bytes = await loadFixtureBytes(`${protocol.name}/${file}`);
            setup.upstream.enqueue({ sse: bytes, chunking, delayMs: chunking.kind === 'bytes' ? 0 : 1 });
            const response = await post(setup.gateway, protocol.path, protocol.request, protocol.headers);
            assert.equal(response.status, 200);
            assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
            if (endsProperly(protocol, bytes)) {
              assert.equal(response.text, new TextDecoder().decode(bytes), 'the body differs from the upstream bytes');
              assert.deepEqual(response.bytes, bytes);
            } else {
              // Cut off mid-event: every whole event unchanged, the fragment dropped (as a client drops
              // it), then one in-band error in the protocol's shape, never glued onto half a line.
              const whole = wholeEventsOf(bytes);
              assert.deepEqual(response.bytes.subarray(0, whole.length), whole, 'the whole events are not forwarded unchanged');
              const rest = parseSseText(new TextDecoder().decode(response.bytes.subarray(whole.length)));
              assert.equal(rest.length, 1, `expected one error event after the cut, got ${JSON.stringify(rest)}`);
              const error = JSON.parse(rest[0].data);
              if (protocol.name === 'anthropic-messages') {
                assert.equal(rest[0].event, 'error');
                assert.equal(error.type, 'error');
                assert.equal(typeof error.error?.type, 'string');
              } else {
                assert.equal(typeof error.error?.message, 'string');
              }
            }
          });
        }
      }

      it('text.sse with CRLF line ends, in 3-byte writes: forwarded unchanged', async () => {
        const lf = new TextDecoder().decode(await loadFixtureBytes(`${protocol.name}/text.sse`));
        const crlf = lf.split('\n').join('\r\n');
        setup.upstream.enqueue({ sse: crlf, chunking: { kind: 'bytes', size: 3 } });
        const response = await post(setup.gateway, protocol.path, protocol.request, protocol.headers);
        assert.equal(response.text, crlf);
      });

      it("forwards the upstream's request-id and rate-limit headers with a stream", async () => {
        const bytes = await loadFixtureBytes(`${protocol.name}/text.sse`);
        setup.upstream.enqueue({ sse: bytes, headers: protocol.upstreamHeaders });
        const response = await post(setup.gateway, protocol.path, protocol.request, protocol.headers);
        for (const [name, value] of Object.entries(protocol.upstreamHeaders)) assert.equal(response.headers.get(name), value, name);
      });

      for (const file of fixtureNames(protocol, '.json')) {
        it(`${file} without streaming: the client gets the upstream's JSON bytes and headers`, async () => {
          const bytes = await loadFixtureBytes(`${protocol.name}/${file}`);
          setup.upstream.enqueue({ body: bytes, headers: { 'content-type': 'application/json', ...protocol.upstreamHeaders } });
          const response = await post(setup.gateway, protocol.path, { ...protocol.request, stream: false, stream_options: undefined }, protocol.headers);
          assert.equal(response.status, 200);
          assert.deepEqual(response.bytes, bytes);
          for (const [name, value] of Object.entries(protocol.upstreamHeaders)) assert.equal(response.headers.get(name), value, name);
        });
      }

      it('forwards retry-after with an upstream 429', async () => {
        const body =
          protocol.name === 'openai-chat'
            ? '{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}'
            : '{"type":"error","error":{"type":"rate_limit_error","message":"Rate limited"},"request_id":"req_011CUpassthrough"}';
        setup.upstream.enqueue({ status: 429, body, headers: { 'content-type': 'application/json', 'retry-after': '13', ...protocol.upstreamHeaders } });
        const response = await post(setup.gateway, protocol.path, protocol.request, protocol.headers);
        assert.equal(response.status, 429);
        assert.equal(response.headers.get('retry-after'), '13');
        for (const [name, value] of Object.entries(protocol.upstreamHeaders)) assert.equal(response.headers.get(name), value, name);
        assert.deepEqual(response.json, JSON.parse(body));
      });
    });
  }
});
