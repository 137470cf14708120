/**
 * The real SDK clients pointed at the gateway, and a raw HTTP helper for what SDKs hide (exact bytes,
 * headers, malformed requests). Retries are off: a test must see the first answer, not a retried one.
 */
import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { CLIENT_KEY } from './e2e-setup.ts';
import type { RunningGateway } from './gateway.ts';

export function openAiClient(gateway: RunningGateway): OpenAI {
  return new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
}

export function anthropicClient(gateway: RunningGateway): Anthropic {
  return new Anthropic({ apiKey: CLIENT_KEY, baseURL: gateway.url, maxRetries: 0 });
}

/** A raw request that takes longer than this has hung: the gateway must always answer. */
const hangLimitMs = 20_000;

export type RawResponse = { status: number; headers: Headers; bytes: Uint8Array; text: string; json: any };

/** POSTs a body (a string is sent verbatim, anything else as JSON) and reads the whole answer. */
export async function post(
  gateway: RunningGateway,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const response = await fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(hangLimitMs),
  });
  return readRaw(response);
}

export async function get(gateway: RunningGateway, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return readRaw(await fetch(`${gateway.url}${path}`, { headers, signal: AbortSignal.timeout(hangLimitMs) }));
}

async function readRaw(response: Response): Promise<RawResponse> {
  const bytes = new Uint8Array(await response.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, bytes, text, json };
}

/** Headers an Anthropic client sends (the SDK sets these itself). */
export const anthropicHeaders = { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' };
/** Headers an OpenAI client sends. */
export const openAiHeaders = { authorization: `Bearer ${CLIENT_KEY}` };

/**
 * The error a promise rejects with; fails the test when it resolves. Call it as soon as the promise
 * exists: its handler is attached at once, so a rejection before the test awaits it is never reported as
 * unhandled. Typed `any` because tests read the SDK error's own fields (status, headers, type).
 */
export function rejectionOf(promise: Promise<unknown>): Promise<any> {
  return promise.then(
    (value) => assert.fail(`expected a rejection, got ${JSON.stringify(value)?.slice(0, 200)}`),
    (error: unknown) => error,
  );
}
