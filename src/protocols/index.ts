/** The wire formats lessllm speaks, by name. */
import { anthropicMessagesProtocol } from './anthropic-messages/index.ts';
import { openAiChatProtocol } from './openai-chat/index.ts';
import type { Protocol, ProtocolName } from './protocol.ts';

export const protocols: Record<ProtocolName, Protocol> = {
  'openai-chat': openAiChatProtocol,
  'anthropic-messages': anthropicMessagesProtocol,
};
