/**
 * Answers in the exact wire shapes the real OpenAI Chat Completions and Anthropic Messages APIs send,
 * built from one small script (text pieces, reasoning, tool calls, usage, an optional in-band error).
 * The test upstream serves them; tests use the same script to know what the client should see.
 */

export type ToolCallScript = {
  id: string;
  name: string;
  /** The arguments JSON, in the pieces the upstream streams it in. */
  argumentPieces: string[];
};

export type AnswerScript = {
  model: string;
  id?: string;
  reasoning?: string[];
  text?: string[];
  toolCalls?: ToolCallScript[];
  /** The protocol's own value (`stop`/`length`/… or `end_turn`/`max_tokens`/…); derived when absent. */
  finishReason?: string;
  usage?: { input: number; output: number; cacheRead?: number; cacheWrite?: number };
  /** Ends the stream with an in-band error after the content instead of a normal finish. */
  inBandError?: { type: string; message: string };
};

export const DEFAULT_ANSWER_TEXT = ['Hello', ' from', ' the', ' test', ' upstream', '.'];
export const DEFAULT_USAGE = { input: 12, output: 6 };
const CREATED = 1_763_000_000;

// ── OpenAI Chat Completions ──

export function openAiCompletion(script: AnswerScript): Record<string, unknown> {
  const usage = script.usage ?? DEFAULT_USAGE;
  const toolCalls = script.toolCalls ?? [];
  const text = (script.text ?? []).join('');
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
    refusal: null,
    annotations: [],
  };
  if (script.reasoning) message.reasoning_content = script.reasoning.join('');
  if (toolCalls.length > 0) {
    message.tool_calls = toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.argumentPieces.join('') },
    }));
  }
  return {
    id: script.id ?? 'chatcmpl-test0001',
    object: 'chat.completion',
    created: CREATED,
    model: script.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: openAiFinishReason(script) }],
    usage: openAiUsage(usage),
    system_fingerprint: 'fp_test',
  };
}

/** The chunks of a streamed answer; the usage chunk only when `includeUsage`, as OpenAI does. */
export function openAiChunks(script: AnswerScript, includeUsage: boolean): Array<Record<string, unknown>> {
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
    id: script.id ?? 'chatcmpl-test0001',
    object: 'chat.completion.chunk',
    created: CREATED,
    model: script.model,
    system_fingerprint: 'fp_test',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const chunks: Array<Record<string, unknown>> = [chunk({ role: 'assistant', content: '', refusal: null })];
  for (const piece of script.reasoning ?? []) chunks.push(chunk({ reasoning_content: piece }));
  for (const piece of script.text ?? []) chunks.push(chunk({ content: piece }));
  (script.toolCalls ?? []).forEach((call, index) => {
    chunks.push(
      chunk({
        tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }],
      }),
    );
    for (const piece of call.argumentPieces) chunks.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
  });
  if (script.inBandError) {
    chunks.push({ error: { message: script.inBandError.message, type: script.inBandError.type, param: null, code: null } });
    return chunks;
  }
  chunks.push(chunk({}, openAiFinishReason(script)));
  if (includeUsage) {
    chunks.push({
      id: script.id ?? 'chatcmpl-test0001',
      object: 'chat.completion.chunk',
      created: CREATED,
      model: script.model,
      system_fingerprint: 'fp_test',
      choices: [],
      usage: openAiUsage(script.usage ?? DEFAULT_USAGE),
    });
  }
  return chunks;
}

/** `data:` lines only, `[DONE]` last unless the stream ended in an error. */
export function openAiSse(chunks: Array<Record<string, unknown>>, options: { done?: boolean } = {}): string {
  const endsInError = chunks.at(-1)?.error !== undefined;
  const events = chunks.map((chunk) => 'data: ' + JSON.stringify(chunk) + '\n\n');
  if (options.done ?? !endsInError) events.push('data: [DONE]\n\n');
  return events.join('');
}

function openAiFinishReason(script: AnswerScript): string {
  return script.finishReason ?? ((script.toolCalls ?? []).length > 0 ? 'tool_calls' : 'stop');
}

function openAiUsage(usage: NonNullable<AnswerScript['usage']>): Record<string, unknown> {
  const cached = usage.cacheRead ?? 0;
  return {
    prompt_tokens: usage.input + cached,
    completion_tokens: usage.output,
    total_tokens: usage.input + cached + usage.output,
    prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
  };
}

// ── Anthropic Messages ──

export function anthropicMessage(script: AnswerScript): Record<string, unknown> {
  const content: Array<Record<string, unknown>> = [];
  if (script.reasoning) content.push({ type: 'thinking', thinking: script.reasoning.join(''), signature: 'sig-test' });
  const text = (script.text ?? []).join('');
  if (text !== '') content.push({ type: 'text', text });
  for (const call of script.toolCalls ?? []) {
    content.push({ type: 'tool_use', id: call.id, name: call.name, input: JSON.parse(call.argumentPieces.join('') || '{}') });
  }
  return {
    id: script.id ?? 'msg_test0001',
    type: 'message',
    role: 'assistant',
    model: script.model,
    content,
    stop_reason: anthropicStopReason(script),
    stop_sequence: null,
    usage: anthropicUsage(script.usage ?? DEFAULT_USAGE),
  };
}

/** The events of a streamed answer, each `{type, …}`; the SSE `event:` name is the type. */
export function anthropicEvents(script: AnswerScript): Array<Record<string, unknown>> {
  const usage = script.usage ?? DEFAULT_USAGE;
  const events: Array<Record<string, unknown>> = [
    {
      type: 'message_start',
      message: {
        id: script.id ?? 'msg_test0001',
        type: 'message',
        role: 'assistant',
        model: script.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...anthropicUsage(usage), output_tokens: 1 },
      },
    },
  ];
  let index = 0;
  const block = (start: Record<string, unknown>, deltas: Array<Record<string, unknown>>) => {
    events.push({ type: 'content_block_start', index, content_block: start });
    if (index === 0) events.push({ type: 'ping' });
    for (const delta of deltas) events.push({ type: 'content_block_delta', index, delta });
    events.push({ type: 'content_block_stop', index });
    index += 1;
  };
  if (script.reasoning) {
    block({ type: 'thinking', thinking: '', signature: '' }, [
      ...script.reasoning.map((thinking) => ({ type: 'thinking_delta', thinking })),
      { type: 'signature_delta', signature: 'sig-test' },
    ]);
  }
  if (script.text && script.text.length > 0) {
    if (script.inBandError) {
      // An overload mid-answer: the text block is open when the error arrives.
      events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      for (const text of script.text) events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
      events.push({ type: 'error', error: { type: script.inBandError.type, message: script.inBandError.message } });
      return events;
    }
    block({ type: 'text', text: '' }, script.text.map((text) => ({ type: 'text_delta', text })));
  }
  for (const call of script.toolCalls ?? []) {
    block(
      { type: 'tool_use', id: call.id, name: call.name, input: {} },
      call.argumentPieces.map((partial_json) => ({ type: 'input_json_delta', partial_json })),
    );
  }
  if (script.inBandError) {
    events.push({ type: 'error', error: { type: script.inBandError.type, message: script.inBandError.message } });
    return events;
  }
  events.push({
    type: 'message_delta',
    delta: { stop_reason: anthropicStopReason(script), stop_sequence: null },
    usage: { output_tokens: usage.output },
  });
  events.push({ type: 'message_stop' });
  return events;
}

export function anthropicSse(events: Array<Record<string, unknown>>): string {
  return events.map((event) => 'event: ' + String(event.type) + '\ndata: ' + JSON.stringify(event) + '\n\n').join('');
}

function anthropicStopReason(script: AnswerScript): string {
  return script.finishReason ?? ((script.toolCalls ?? []).length > 0 ? 'tool_use' : 'end_turn');
}

function anthropicUsage(usage: NonNullable<AnswerScript['usage']>): Record<string, unknown> {
  return {
    input_tokens: usage.input,
    cache_creation_input_tokens: usage.cacheWrite ?? 0,
    cache_read_input_tokens: usage.cacheRead ?? 0,
    output_tokens: usage.output,
  };
}

// ── Errors before the stream, in each API's shape ──

export function openAiErrorBody(status: number, message: string): Record<string, unknown> {
  const type = status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return { error: { message, type, param: null, code: status === 401 ? 'invalid_api_key' : null } };
}

export function anthropicErrorBody(status: number, message: string): Record<string, unknown> {
  return { type: 'error', error: { type: anthropicErrorType(status), message }, request_id: 'req_test_error' };
}

export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 529:
      return 'overloaded_error';
    default:
      return 'api_error';
  }
}
