import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { countTokenTexts, keepTextCount, keptTextCount, type TokenTexts } from './token-count.ts';
import { ThreadTokenCounter } from './token-counter.ts';

const silentWorker = new URL('../../test/support/silent-worker.ts', import.meta.url);
const file = (name: string) => Array.from({ length: 60 }, (_, line) => `const ${name}${line} = await read("src/${name}/part${line}.ts");`).join('\n');

describe('the token counting thread', () => {
  const started: ThreadTokenCounter[] = [];
  const counter = (options?: ConstructorParameters<typeof ThreadTokenCounter>[0]) => {
    const made = new ThreadTokenCounter(options);
    started.push(made);
    return made;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((made) => made.stop()));
  });

  it('counts what the event loop would, for every count asked for in one turn, and keeps the counts of long texts', async () => {
    const warnings: string[] = [];
    const tokens = counter({ warn: (message) => warnings.push(message) });
    const asked: TokenTexts[] = [
      { texts: ['Hello there, friend.'], fixedTokens: 3 },
      { texts: [file('alpha'), 'and a short one'], fixedTokens: 6 },
      { texts: [], fixedTokens: 768 },
      { texts: [file('alpha')], fixedTokens: 0 },
      { texts: ['', 'ünïcödé 🙂 text'], fixedTokens: 1 },
    ];
    const counted = await Promise.all(asked.map((texts) => tokens.count(texts)));
    assert.deepEqual(counted, asked.map(countTokenTexts));
    assert.ok(counted[1]! > 500, `a long text: ${counted[1]}`);
    assert.equal(keptTextCount(file('alpha')), counted[3], 'a long text’s count is kept on the event loop');
    assert.equal(keptTextCount('Hello there, friend.'), undefined, 'a short one’s is not');
    assert.deepEqual(warnings, []);
  });

  it('does not send a text whose count is kept (a conversation’s earlier turns)', async () => {
    const tokens = counter({ entry: silentWorker });
    const history = file('beta');
    keepTextCount(history, 1234);
    // The thread never answers: only a count that needs nothing from it settles.
    assert.equal(await tokens.count({ texts: [history, history], fixedTokens: 7 }), 2 * 1234 + 7);
  });

  it('counts on the event loop when the thread cannot start, and says so once', async () => {
    const warnings: string[] = [];
    const tokens = counter({ entry: new URL('./no-such-worker.ts', import.meta.url), warn: (message) => warnings.push(message) });
    const asked: TokenTexts = { texts: ['What does the thread say?'], fixedTokens: 3 };
    assert.equal(await tokens.count(asked), countTokenTexts(asked));
    assert.equal(await tokens.count(asked), countTokenTexts(asked));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /token count thread failed, so tokens are counted on the event loop/);
  });

  it('counts on the event loop what would wait behind too much text, and what a stopped thread left unanswered', async () => {
    const warnings: string[] = [];
    const tokens = counter({ entry: silentWorker, maxWaitingChars: 1000, warn: (message) => warnings.push(message) });
    const waitingLong: TokenTexts = { texts: ['word '.repeat(300)], fixedTokens: 0 };
    const behind: TokenTexts = { texts: ['word '.repeat(150)], fixedTokens: 0 };
    const onThread = tokens.count(waitingLong);
    // 1,500 characters already wait for a thread that does not answer: 750 more are counted here at once.
    assert.equal(await tokens.count(behind), countTokenTexts(behind));
    await tokens.stop();
    assert.equal(await onThread, countTokenTexts(waitingLong));
    assert.deepEqual(warnings, [], 'a thread stopped on purpose did not fail');
  });
});
