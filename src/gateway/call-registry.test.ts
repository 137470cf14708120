import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { GatewayError } from '../core/gateway-error.ts';
import { CallRegistry } from './call-registry.ts';

describe('call registry (graceful shutdown)', () => {
  it('drains at once when nothing is in flight', async () => {
    const registry = new CallRegistry();
    assert.equal(await registry.drain(10_000), 0);
    assert.equal(registry.draining, true);
  });

  it('waits for calls in flight that finish within the grace period, ending none', async () => {
    const registry = new CallRegistry();
    const ended: GatewayError[] = [];
    const remove = registry.add({ abort: (reason) => ended.push(reason) });
    setTimeout(remove, 20);
    assert.equal(await registry.drain(10_000), 0);
    assert.deepEqual(ended, []);
  });

  it('ends the calls still running after the grace period with a 503 overloaded error, and waits for them to report', async () => {
    const registry = new CallRegistry();
    const reasons: GatewayError[] = [];
    const removers: Array<() => void> = [];
    for (let index = 0; index < 3; index++) {
      const remove = registry.add({
        abort: (reason) => {
          reasons.push(reason);
          setTimeout(remove, 5);
        },
      });
      removers.push(remove);
    }
    assert.equal(await registry.drain(10), 3);
    assert.equal(registry.size, 0);
    assert.equal(reasons.length, 3);
    assert.equal(reasons[0].kind, 'overloaded');
    assert.equal(reasons[0].status, 503);
    assert.match(reasons[0].message, /shutting down/);
  });

  it('ends exactly the calls still registered, whatever order the others ended in (and however often)', async () => {
    const registry = new CallRegistry();
    const ended: number[] = [];
    const removers = [0, 1, 2, 3, 4].map((id) => {
      const remove = registry.add({
        abort: () => {
          ended.push(id);
          remove();
        },
      });
      return remove;
    });
    removers[1]();
    removers[4]();
    removers[1]();
    removers[0]();
    assert.equal(registry.size, 2);
    assert.equal(await registry.drain(10), 2);
    assert.deepEqual(ended.sort(), [2, 3]);
    assert.equal(registry.size, 0);
  });

  it('refuses new calls with a 503 and a retry-after', () => {
    const refusal = new CallRegistry().refusal();
    assert.equal(refusal.status, 503);
    assert.equal(refusal.retryAfter, '1');
  });
});
