/**
 * What a person debugging a call wants to read, the same for all four routes: the request body as
 * received, the full response in the client's own format (for a stream: what the non-streaming response
 * would have been), the conversation in the GenAI conventions' message schema, and the HTTP details.
 * Every text is size-capped with its JSON kept valid. Computed once at the end of the call, for the
 * span events and the log row alike.
 */
import type { CanonicalResponse } from '../core/canonical-response.ts';
import { anthropicMessagesProtocol } from '../protocols/anthropic-messages/index.ts';
import { openAiChatProtocol } from '../protocols/openai-chat/index.ts';
import type { Protocol } from '../protocols/protocol.ts';
import type { ClientProtocolName } from '../core/call-observer.ts';
import type { CallSummary } from './call-summary.ts';
import { capJson, capJsonText, type CappedJson } from './json-cap.ts';
import { inputMessages, outputMessages, systemInstructions } from './semconv-messages.ts';

export type CapturedContent = {
  requestBody: CappedJson;
  /** Undefined when nothing came back at all (e.g. the client left before the upstream answered). */
  responseBody: CappedJson | undefined;
  /** The semconv message lists; undefined when the request could not be decoded. */
  systemInstructions: CappedJson | undefined;
  inputMessages: CappedJson | undefined;
  outputMessages: CappedJson | undefined;
};

export type HttpDetails = {
  method: string;
  path: string;
  client_address: string | null;
  status: number;
  request_headers: Record<string, string>;
  response_headers: Record<string, string>;
  response_bytes: number;
};

export function protocolOf(name: ClientProtocolName): Protocol {
  return name === 'openai-chat' ? openAiChatProtocol : anthropicMessagesProtocol;
}

export function captureContent(summary: CallSummary, maxBytes: number): CapturedContent {
  const { start } = summary;
  const requestBody = capJsonText(start.rawRequestBody, () => start.requestBody, maxBytes);
  let request;
  try {
    request = start.canonicalRequest();
  } catch {
    request = undefined;
  }
  const response = completedResponse(summary);
  return {
    requestBody,
    responseBody: responseBodyOf(summary, response, maxBytes),
    systemInstructions: request && request.system.length > 0 ? capJson(systemInstructions(request), maxBytes) : undefined,
    inputMessages: request ? capJson(inputMessages(request), maxBytes) : undefined,
    outputMessages: response ? capJson(outputMessages(response, summary.errorType !== undefined), maxBytes) : undefined,
  };
}

/** Headers from the gateway are already secret-free; these are removed again in case one slipped through. */
const secretHeaders = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'cookie',
  'set-cookie',
]);

export function withoutSecrets(headers: Record<string, string>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of Object.keys(headers)) if (!secretHeaders.has(name.toLowerCase())) kept[name] = headers[name];
  return kept;
}

export function httpDetails(summary: CallSummary): HttpDetails {
  const { start, end } = summary;
  return {
    method: start.http.method,
    path: start.http.path,
    client_address: start.http.clientAddress ?? null,
    status: end.status,
    request_headers: withoutSecrets(start.http.headers),
    response_headers: withoutSecrets(end.responseHeaders),
    response_bytes: end.responseBytes,
  };
}

/** The accumulated response with the usage the summary settled on (estimated where none was reported). */
function completedResponse(summary: CallSummary): CanonicalResponse | undefined {
  if (!summary.response) return undefined;
  return summary.usage ? { ...summary.response, usage: summary.usage } : summary.response;
}

function responseBodyOf(summary: CallSummary, response: CanonicalResponse | undefined, maxBytes: number): CappedJson | undefined {
  const { start, end } = summary;
  // What was sent as one body (a non-streaming answer, an error) is recorded exactly as sent.
  if (end.responseBody !== undefined) return capJsonText(end.responseBody, () => JSON.parse(end.responseBody!), maxBytes);
  const protocol = protocolOf(start.clientProtocol);
  if (response) return capJson(protocol.encodeResponse(response), maxBytes);
  if (end.error) return capJson(protocol.encodeError(end.error).body, maxBytes);
  return undefined;
}
