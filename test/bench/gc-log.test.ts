import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { collectionsIn } from './gc-log.ts';

/** One collection as Bun's JavaScriptCore logs it (BUN_JSC_logGC=1), shortened in the middle as the log is not. */
const line = (heap: string, kind: string, beforeKb: number, afterKb: number, pauseMs: number) =>
  `[GC<${heap}>: START M ${beforeKb}kb => ${kind}, a=0kb hf=0.000 mu=0.600 v=0kb (C:0 M:0 P1:0) o=396 b=148 i#1:N<CsMsrShDMsm(157)SrbBcs> 36+157 v=60kb ` +
  `i#3:P<WsJwOMsm(0)CsShBcsMsrSrbDCbDomo>Pbc => ${afterKb}kb, p=${pauseMs}ms (max 3.419827), cycle 1.851564ms END]`;

describe('the GC log', () => {
  it("counts the event loop's heap apart from a worker thread's, which collects beside it without pausing it", () => {
    const log = [
      line('0x4df33228118', 'EdenCollection', 35610, 21751, 1.88),
      'GC END!',
      '[GC<0x4df33228118>: epilogue 0.010089ms]',
      line('0x4df39a00118', 'EdenCollection', 4000, 3000, 0.4),
      'Requesting GC because bytes allocated this cycle: 14345252 exceed bytes allowed: 14323797',
      line('0x4df33228118', 'FullCollection', 36331, 22247, 2.5),
      line('0x4df39a00118', 'EdenCollection', 3900, 3100, 0.3),
    ].join('\n');
    const { eventLoop, otherHeaps } = collectionsIn(log);
    assert.deepEqual(eventLoop, { count: 2, pauseMs: 4.38, pausesMs: [1.88, 2.5], collectedKb: 35610 - 21751 + 36331 - 22247 });
    assert.equal(otherHeaps.count, 2);
    assert.ok(Math.abs(otherHeaps.pauseMs - 0.7) < 1e-9);
    assert.equal(otherHeaps.collectedKb, 1800);
  });

  it("counts a lone heap's collections as the event loop's even when they freed nothing", () => {
    const { eventLoop, otherHeaps } = collectionsIn(line('0x4df33228118', 'EdenCollection', 30000, 30000, 0.9));
    assert.deepEqual(eventLoop, { count: 1, pauseMs: 0.9, pausesMs: [0.9], collectedKb: 0 });
    assert.equal(otherHeaps.count, 0);
  });

  it('finds no collections in a log without any', () => {
    const { eventLoop, otherHeaps } = collectionsIn('lessllm listening on http://127.0.0.1:8080\n[GC<0x1>: starting 0.158964ms]');
    assert.equal(eventLoop.count, 0);
    assert.equal(otherHeaps.count, 0);
  });
});
