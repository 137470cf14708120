/**
 * The OpenAI Chat Completions wire objects this protocol reads and writes. Only the fields lessllm
 * touches are typed; every object may carry more (passthrough forwards them, conversion ignores them).
 * Optional fields are nullable because OpenAI's own schema accepts `null` for "not given".
 */

// ── request ──

export type OpenAiTextPart = { type: 'text'; text: string };

export type OpenAiImagePart = {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
};

export type OpenAiFilePart = {
  type: 'file';
  file: { file_data?: string; file_id?: string; filename?: string };
};

export type OpenAiRefusalPart = { type: 'refusal'; refusal: string };

export type OpenAiUserContentPart = OpenAiTextPart | OpenAiImagePart | OpenAiFilePart;

export type OpenAiToolCall = {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
};

export type OpenAiSystemMessage = {
  role: 'system' | 'developer';
  content: string | OpenAiTextPart[];
  name?: string;
};

export type OpenAiUserMessage = {
  role: 'user';
  content: string | OpenAiUserContentPart[];
  name?: string;
};

export type OpenAiAssistantMessage = {
  role: 'assistant';
  content?: string | Array<OpenAiTextPart | OpenAiRefusalPart> | null;
  refusal?: string | null;
  tool_calls?: OpenAiToolCall[];
  /** Deprecated predecessor of tool_calls. */
  function_call?: { name: string; arguments: string } | null;
  /** DeepSeek/vLLM extension: the reasoning that preceded the answer. */
  reasoning_content?: string | null;
  name?: string;
};

export type OpenAiToolMessage = {
  role: 'tool';
  tool_call_id: string;
  content: string | OpenAiTextPart[];
};

/** Deprecated predecessor of the tool message: the result of a `function_call`. */
export type OpenAiFunctionMessage = { role: 'function'; name: string; content: string | null };

export type OpenAiMessage =
  | OpenAiSystemMessage
  | OpenAiUserMessage
  | OpenAiAssistantMessage
  | OpenAiToolMessage
  | OpenAiFunctionMessage;

export type OpenAiFunctionDefinition = {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
  strict?: boolean | null;
};

export type OpenAiTool = { type: 'function'; function: OpenAiFunctionDefinition };

export type OpenAiToolChoice =
  | 'none'
  | 'auto'
  | 'required'
  | { type: 'function'; function: { name: string } };

export type OpenAiResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      json_schema: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean | null };
    };

export type OpenAiReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high';

export type OpenAiChatRequest = {
  model: string;
  messages: OpenAiMessage[];
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  n?: number | null;
  stop?: string | string[] | null;
  user?: string;
  tools?: OpenAiTool[];
  tool_choice?: OpenAiToolChoice;
  parallel_tool_calls?: boolean;
  reasoning_effort?: OpenAiReasoningEffort | null;
  response_format?: OpenAiResponseFormat;
  /** Deprecated predecessors of tools / tool_choice. */
  functions?: OpenAiFunctionDefinition[];
  function_call?: 'none' | 'auto' | { name: string };
};

// ── response ──

export type OpenAiUsage = {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
};

export type OpenAiFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

export type OpenAiResponseMessage = {
  role: 'assistant';
  content: string | null;
  refusal: string | null;
  tool_calls?: OpenAiToolCall[];
  function_call?: { name: string; arguments: string } | null;
  /** DeepSeek/vLLM extension; lessllm writes it only when there is reasoning to show. */
  reasoning_content?: string;
};

export type OpenAiChatCompletion = {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: OpenAiResponseMessage;
    logprobs: null;
    finish_reason: OpenAiFinishReason;
  }>;
  usage?: OpenAiUsage;
};

// ── stream ──

export type OpenAiToolCallDelta = {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
};

export type OpenAiChunkDelta = {
  role?: 'assistant';
  content?: string | null;
  refusal?: string | null;
  reasoning_content?: string | null;
  tool_calls?: OpenAiToolCallDelta[];
};

export type OpenAiChunkChoice = {
  index: number;
  delta: OpenAiChunkDelta;
  logprobs: null;
  finish_reason: OpenAiFinishReason | null;
};

export type OpenAiChatCompletionChunk = {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: OpenAiChunkChoice[];
  /** Present (null on every chunk but the last) only when the client asked for usage. */
  usage?: OpenAiUsage | null;
};

// ── errors ──

export type OpenAiErrorBody = {
  error: { message: string; type: string; param: string | null; code: string | null };
};
