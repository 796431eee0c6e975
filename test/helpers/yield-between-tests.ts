/**
 * Loaded by every test file (vitest.config.ts setupFiles).
 *
 * A vitest worker reports each test to the runner over an RPC channel whose calls time out
 * after 60 s, a limit no option changes. Tests that are synchronous (most CLI tests call
 * spawnSync) run back to back without the worker's event loop ever reading the runner's
 * replies: admin.test.ts ran ~60 of them, 43 s without a turn on an idle machine, and past
 * 60 s under CI's load every test passed and the run still exited 1 ("Timeout calling
 * onTaskUpdate"). So each test ends with two turns of the loop (the second guarantees a poll
 * phase, where the replies are read), and a file whose worker still goes 30 s without a
 * turn fails, naming the test, instead of failing CI by chance.
 */
import { afterAll, afterEach, beforeEach, expect } from 'vitest';

const LIMIT_MS = 30_000;
let current = '';
let worst = { ms: 0, test: '' };
let last = Date.now();
const tick = setInterval(() => {
  const now = Date.now();
  if (now - last > worst.ms) worst = { ms: now - last, test: current };
  last = now;
}, 1000);
tick.unref();

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

beforeEach(() => {
  current = expect.getState().currentTestName ?? '';
});

afterEach(async () => {
  await turn();
  await turn();
});

afterAll(() => {
  clearInterval(tick);
  if (worst.ms > LIMIT_MS) {
    throw new Error(
      `this file's worker went ${Math.round(worst.ms / 1000)} s without a turn of its event loop (in or after "${worst.test}"); vitest's runner gives up after 60 s: make the test yield (await, not spawnSync in a loop)`,
    );
  }
});
