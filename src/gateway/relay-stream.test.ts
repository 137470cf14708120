import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { relayStream, type RelayFinish, type RelayHandlers } from './relay-stream.ts';

const text = (chunks: Uint8Array[]) => new TextDecoder().decode(Buffer.concat(chunks));

function handlers(overrides: Partial<RelayHandlers<string>> = {}) {
  const log: string[] = [];
  let finished: RelayFinish | undefined;
  let finishCount = 0;
  const relay: RelayHandlers<string> = {
    onInput(input, output) {
      if (input !== 'silent') output.enqueueText(`<${input}>`);
      return input === 'stop' ? 'stop' : 'continue';
    },
    onSourceEnd(output) {
      output.enqueueText('<end>');
    },
    onSourceError(error, output) {
      output.enqueueText(`<error:${(error as Error).message}>`);
    },
    onFinish(finish) {
      finished = finish;
      finishCount++;
    },
    ...overrides,
  };
  return { relay, log, finished: () => finished, finishCount: () => finishCount };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
  return chunks;
}

function sourceOf(items: string[], failAfter?: Error): ReadableStream<string> {
  let index = 0;
  return new ReadableStream<string>({
    pull(controller) {
      if (index < items.length) controller.enqueue(items[index++]);
      else if (failAfter) controller.error(failAfter);
      else controller.close();
    },
  });
}

describe('relay stream', () => {
  it('relays every input, then the end, and finishes once with bytes and chunks counted', async () => {
    const harness = handlers();
    const chunks = await readAll(relayStream(sourceOf(['a', 'b']), harness.relay));
    assert.equal(text(chunks), '<a><b><end>');
    assert.equal(harness.finishCount(), 1);
    assert.deepEqual(harness.finished(), { cancelled: false, bytes: 11, chunks: 3 });
  });

  it('keeps reading through inputs that produce no output instead of stalling', async () => {
    const harness = handlers();
    const chunks = await readAll(relayStream(sourceOf(['silent', 'silent', 'silent', 'x']), harness.relay));
    assert.equal(text(chunks), '<x><end>');
  });

  it('writes the route\'s error when the source fails mid-stream, and still finishes once', async () => {
    const harness = handlers();
    const chunks = await readAll(relayStream(sourceOf(['a'], new Error('connection reset')), harness.relay));
    assert.equal(text(chunks), '<a><error:connection reset>');
    assert.equal(harness.finishCount(), 1);
    assert.equal(harness.finished()?.cancelled, false);
  });

  it('stops early when the route says so, cancelling the source', async () => {
    let sourceCancelled = false;
    const source = new ReadableStream<string>({
      start(controller) {
        controller.enqueue('stop');
        controller.enqueue('never');
      },
      cancel() {
        sourceCancelled = true;
      },
    });
    const harness = handlers();
    const chunks = await readAll(relayStream(source, harness.relay));
    assert.equal(text(chunks), '<stop>');
    assert.equal(sourceCancelled, true);
  });

  it('cancels the source and reports a cancelled finish when the client goes away', async () => {
    let sourceCancelled = false;
    const source = new ReadableStream<string>({
      start(controller) {
        controller.enqueue('first');
      },
      cancel() {
        sourceCancelled = true;
      },
    });
    const harness = handlers();
    const reader = relayStream(source, harness.relay).getReader();
    await reader.read();
    await reader.cancel();
    assert.equal(sourceCancelled, true);
    assert.equal(harness.finishCount(), 1);
    assert.equal(harness.finished()?.cancelled, true);
  });
});
