/**
 * The OpenAI Chat Completions wire format, both directions: serving OpenAI clients and reaching
 * OpenAI-compatible upstreams. Each job lives in its own file; this one only puts them together.
 */
import type { Protocol } from '../protocol.ts';
import { decodeRequest } from './decode-request.ts';
import { decodeResponse } from './decode-response.ts';
import { createStreamDecoder } from './decode-stream.ts';
import { encodeRequest } from './encode-request.ts';
import { encodeResponse } from './encode-response.ts';
import { createStreamEncoder } from './encode-stream.ts';
import { decodeError, encodeError, encodeStreamError } from './errors.ts';
import { validateRequest } from './schema.ts';

export const openAiChatProtocol: Protocol = {
  name: 'openai-chat',
  validateRequest,
  decodeRequest,
  encodeResponse,
  createStreamEncoder,
  encodeError,
  encodeStreamError,
  encodeRequest,
  decodeResponse,
  createStreamDecoder,
  decodeError,
};
