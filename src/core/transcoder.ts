/**
 * A push-style stream stage: `push` one input, get zero or more outputs through `emit`; `end` when the
 * input is over. Decoders and encoders are written this way (not as TransformStreams directly) so the
 * gateway can fuse decode → observe → encode into one TransformStream, and the passthrough tap can run a
 * decoder over a copy of forwarded bytes without a second stream pipeline.
 */
export interface Transcoder<Input, Output> {
  push(input: Input, emit: (output: Output) => void): void;
  /** The input ended (cleanly or not). Flush whatever is held; report an unfinished stream. */
  end(emit: (output: Output) => void): void;
}

/** Wraps a transcoder as a web TransformStream. */
export function transcoderStream<Input, Output>(transcoder: Transcoder<Input, Output>): TransformStream<Input, Output> {
  return new TransformStream<Input, Output>({
    transform(input, controller) {
      transcoder.push(input, (output) => controller.enqueue(output));
    },
    flush(controller) {
      transcoder.end((output) => controller.enqueue(output));
    },
  });
}

/** Runs a transcoder over a whole array; handy in tests and for non-streaming reconstruction. */
export function transcodeAll<Input, Output>(transcoder: Transcoder<Input, Output>, inputs: Iterable<Input>): Output[] {
  const outputs: Output[] = [];
  const emit = (output: Output) => outputs.push(output);
  for (const input of inputs) transcoder.push(input, emit);
  transcoder.end(emit);
  return outputs;
}
