/**
 * One streamed call through the real OpenAI or Anthropic SDK, reduced to what its user would notice:
 * the text it got, whether it finished normally, and the error it raised (if any).
 */
import type { RunningGateway } from '../../support/gateway.ts';
import { anthropicClient, openAiClient } from '../../support/clients.ts';
import type { ClientKind } from './raw-calls.ts';

export type SdkOutcome = {
  text: string;
  /** A finish reason reached the SDK (OpenAI `finish_reason`, Anthropic `stop_reason`). */
  finished: boolean;
  /** What the SDK raised; undefined when the call succeeded. */
  error: unknown;
};

export async function streamWithSdk(
  gateway: RunningGateway,
  client: ClientKind,
  model: string,
  headers: Record<string, string> = {},
): Promise<SdkOutcome> {
  let text = '';
  let finished = false;
  try {
    if (client === 'openai') {
      const stream = await openAiClient(gateway).chat.completions.create(
        { model, messages: [{ role: 'user', content: 'Tell me something.' }], stream: true },
        { headers },
      );
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (chunk.choices[0]?.finish_reason) finished = true;
      }
    } else {
      const stream = anthropicClient(gateway).messages.stream(
        { model, max_tokens: 200, messages: [{ role: 'user', content: 'Tell me something.' }] },
        { headers },
      );
      stream.on('text', (delta) => (text += delta));
      const message = await stream.finalMessage();
      finished = message.stop_reason !== null;
    }
    return { text, finished, error: undefined };
  } catch (error) {
    return { text, finished, error };
  }
}
