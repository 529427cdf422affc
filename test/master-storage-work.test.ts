/**
 * The master's storage work (src/master/store.ts): one generator serves a synchronous store, which
 * runs it at once, and an asynchronous one, which awaits each call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, runAsync, runSync, type Awaitable, type StorageWork } from '../src/master/store.js';

function* addTwo(read: (key: string) => Awaitable<number>): StorageWork<number> {
  const a = yield* call(read('a'));
  const b = yield* call(read('b'));
  return a + b;
}

const values: Record<string, number> = { a: 2, b: 40 };

test('the same work gives the same answer run at once on values and awaited on promises', async () => {
  assert.equal(runSync(addTwo((key) => values[key]!)), 42);
  assert.equal(await runAsync(addTwo(async (key) => values[key]!)), 42);
  // Mixed answers (a cache hit, then a query) are awaited alike.
  assert.equal(await runAsync(addTwo((key) => (key === 'a' ? 2 : Promise.resolve(40)))), 42);
});

test('a synchronous run refuses a promise, stopping the work so that its finally blocks run', () => {
  let cleanedUp = false;
  function* work(): StorageWork<number> {
    try {
      return yield* call(Promise.resolve(1));
    } finally {
      cleanedUp = true;
    }
  }
  assert.throws(() => runSync(work()), TypeError);
  assert.equal(cleanedUp, true);
});

test('an asynchronous run throws a rejected call into the work, where it can be caught', async () => {
  function* work(): StorageWork<string> {
    try {
      yield* call(Promise.reject(new Error('lost connection')));
      return 'not reached';
    } catch (error) {
      return `caught: ${(error as Error).message}`;
    }
  }
  assert.equal(await runAsync(work()), 'caught: lost connection');
  function* uncaught(): StorageWork<number> {
    return yield* call(Promise.reject(new RangeError('too big')));
  }
  await assert.rejects(runAsync(uncaught()), RangeError);
});
