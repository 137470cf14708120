import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CallAbort } from './call-abort.ts';

describe('call abort', () => {
  it('ends a try with its reason and gives the call a fresh signal', () => {
    const call = new CallAbort();
    const firstTry = call.signal;
    const timeout = new Error('connect timeout');
    call.abortTry(timeout);
    assert.equal(firstTry.aborted, true);
    assert.equal(firstTry.reason, timeout);
    assert.equal(call.signal.aborted, false, 'the call goes on');
    assert.notEqual(call.signal, firstTry);
  });

  it('ends the whole call through whichever signal is current', () => {
    const call = new CallAbort();
    call.abortTry(new Error('first try timed out'));
    const secondTry = call.signal;
    const shutdown = new Error('shutdown');
    call.abort(shutdown);
    assert.equal(secondTry.aborted, true);
    assert.equal(secondTry.reason, shutdown);
    assert.equal(call.signal, secondTry);
  });

  it('does not revive an aborted call when a try times out after it', () => {
    const call = new CallAbort();
    call.abort(new Error('client left'));
    const aborted = call.signal;
    call.abortTry(new Error('late idle timeout'));
    assert.equal(call.signal, aborted);
    assert.equal((call.signal.reason as Error).message, 'client left');
  });

  it('lets a listener of the timed-out try see the call still going', () => {
    const call = new CallAbort();
    let callAbortedInListener: boolean | undefined;
    call.signal.addEventListener('abort', () => {
      callAbortedInListener = call.signal.aborted;
    });
    call.abortTry(new Error('idle timeout'));
    assert.equal(callAbortedInListener, false);
  });
});
