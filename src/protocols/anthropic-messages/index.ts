/** The Anthropic Messages API (`POST /v1/messages`), both as a client-facing API and as an upstream. */
import type { Protocol } from '../protocol.ts';
import { decodeRequest } from './decode-request.ts';
import { decodeResponse } from './decode-response.ts';
import { createStreamDecoder } from './decode-stream.ts';
import { encodeRequest } from './encode-request.ts';
import { encodeResponse } from './encode-response.ts';
import { createStreamEncoder } from './encode-stream.ts';
import { decodeError, encodeError, encodeStreamError } from './errors.ts';
import { validateRequest } from './schema.ts';

export const anthropicMessagesProtocol: Protocol = {
  name: 'anthropic-messages',
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
