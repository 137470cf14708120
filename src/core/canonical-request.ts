/**
 * The canonical request: what every client wire format decodes into and every upstream wire format
 * encodes from. It holds the union of what the OpenAI Chat Completions and Anthropic Messages APIs can
 * express, so a conversion loses only what the target API cannot represent.
 */

export type CanonicalRequest = {
  /** The model the upstream should run (after any route alias rewrite). */
  model: string;
  /** System and developer instructions, in order. */
  system: SystemInstruction[];
  messages: CanonicalMessage[];
  stream: boolean;
  /** Whether a streaming client asked for usage in the stream (OpenAI `stream_options.include_usage`). */
  streamUsageRequested: boolean;
  /** Undefined when the client sent none; the encoder for an API that requires one picks a default. */
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences?: string[];
  tools?: CanonicalTool[];
  toolChoice?: ToolChoice;
  /** `false` forbids parallel tool calls; undefined leaves the upstream's default. */
  parallelToolCalls?: boolean;
  reasoning?: ReasoningRequest;
  /** An opaque end-user id (OpenAI `user`, Anthropic `metadata.user_id`). */
  userId?: string;
  responseFormat?: ResponseFormat;
  /** Number of choices; only 1 can be converted. */
  choiceCount?: number;
};

export type SystemInstruction = { text: string; origin: 'system' | 'developer' };

export type CanonicalMessage =
  | { role: 'user'; content: UserPart[] }
  | { role: 'assistant'; content: AssistantPart[] }
  /** Results of earlier tool calls. Several results in a row belong in one message. */
  | { role: 'tool'; content: ToolResultPart[] };

export type TextPart = { type: 'text'; text: string };

/** An image or document, either inline (base64) or by URL. */
export type FilePart = {
  type: 'file';
  /** e.g. image/png, application/pdf */
  mediaType: string;
  source: { kind: 'base64'; data: string } | { kind: 'url'; url: string };
  /** Original file name where the client gave one. */
  filename?: string;
};

export type UserPart = TextPart | FilePart;

export type ReasoningPart = {
  type: 'reasoning';
  text: string;
  /** Anthropic's signature over the thinking block; must go back to Anthropic unchanged. */
  signature?: string;
};

/** Anthropic's `redacted_thinking`: opaque data that must go back to Anthropic unchanged. */
export type RedactedReasoningPart = { type: 'redacted-reasoning'; data: string };

export type ToolCallPart = {
  type: 'tool-call';
  id: string;
  name: string;
  /** The arguments as parsed JSON (an object for every API we know). */
  input: unknown;
};

export type AssistantPart = TextPart | ReasoningPart | RedactedReasoningPart | ToolCallPart;

export type ToolResultPart = {
  type: 'tool-result';
  toolCallId: string;
  content: Array<TextPart | FilePart>;
  isError: boolean;
};

export type CanonicalTool = {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  inputSchema: Record<string, unknown>;
  strict?: boolean;
};

export type ToolChoice =
  | { type: 'auto' }
  | { type: 'none' }
  /** The model must call some tool. */
  | { type: 'required' }
  | { type: 'tool'; name: string };

export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high';

/** Either an effort (OpenAI) or a token budget (Anthropic); encoders translate one into the other. */
export type ReasoningRequest = { effort?: ReasoningEffort; budgetTokens?: number };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json-object' }
  | { type: 'json-schema'; name: string; schema: Record<string, unknown>; strict?: boolean };
