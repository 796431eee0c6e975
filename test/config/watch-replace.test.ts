// The config watcher survives its directory being replaced: `mv new dir`, a
// Kubernetes ConfigMap update, an editor or deploy tool that swaps the parent.
// After the swap, edits of the file in the new directory still reload.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { contentHash, watchConfig, type ConfigWatcher } from '../../src/config/watch.js';
import { tempDir } from '../helpers/config.js';

let watcher: ConfigWatcher | undefined;
afterEach(() => watcher?.close());

/** Starts watching `file` (holding `text`); returns the texts seen, in order. */
function watch(file: string, text: string, pollMs?: number): (string | undefined)[] {
  const seen: (string | undefined)[] = [];
  watcher = watchConfig(file, contentHash(text), (t) => seen.push(t), 50, {}, pollMs);
  return seen;
}

async function until(pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Replaces `dir` by a new directory holding `name` with `text`: built beside it, then renamed over it. */
function replaceDir(dir: string, name: string, text: string, keepOld: boolean) {
  const next = `${dir}.next`;
  mkdirSync(next);
  writeFileSync(join(next, name), text);
  if (keepOld) renameSync(dir, `${dir}.old`);
  else rmSync(dir, { recursive: true });
  renameSync(next, dir);
}

describe('config watcher: the watched directory replaced', () => {
  for (const keepOld of [true, false]) {
    it(`reloads after the directory is replaced (old one ${keepOld ? 'moved aside' : 'deleted'}), and on every edit after that`, async () => {
      const dir = join(tempDir(), 'conf');
      mkdirSync(dir);
      const file = join(dir, 'routes.yaml');
      writeFileSync(file, 'one');
      // No polling: the directory watch alone has to follow the new directory.
      const seen = watch(file, 'one', 0);

      replaceDir(dir, 'routes.yaml', 'two', keepOld);
      await until(() => seen.includes('two'));

      writeFileSync(file, 'three');
      await until(() => seen.includes('three'));
      writeFileSync(join(dir, 'other.yaml'), 'x');
      writeFileSync(file, 'four');
      await until(() => seen.includes('four'));
      expect(seen).toEqual(['two', 'three', 'four']);
    });
  }

  it('reloads after a parent of the watched directory is replaced (seen by the periodic check)', async () => {
    const root = tempDir();
    const parent = join(root, 'etc');
    mkdirSync(join(parent, 'switchboard'), { recursive: true });
    const file = join(parent, 'switchboard', 'routes.yaml');
    writeFileSync(file, 'one');
    const seen = watch(file, 'one', 100);

    const next = join(root, 'etc.next');
    mkdirSync(join(next, 'switchboard'), { recursive: true });
    writeFileSync(join(next, 'switchboard', 'routes.yaml'), 'two');
    renameSync(parent, join(root, 'etc.old'));
    renameSync(next, parent);
    await until(() => seen.includes('two'));

    writeFileSync(file, 'three');
    await until(() => seen.includes('three'));
    expect(seen).toEqual(['two', 'three']);
  });

  it('a replacement with the same content does not reload', async () => {
    const dir = join(tempDir(), 'conf');
    mkdirSync(dir);
    const file = join(dir, 'routes.yaml');
    writeFileSync(file, 'same');
    const seen = watch(file, 'same', 100);
    replaceDir(dir, 'routes.yaml', 'same', true);
    await new Promise((r) => setTimeout(r, 500));
    writeFileSync(file, 'changed');
    await until(() => seen.includes('changed'));
    expect(seen).toEqual(['changed']);
  });
});

describe('SWITCHBOARD_WATCH_POLL', () => {
  it('sets how often the file is looked at besides the watch: a duration, 0/off for never, 1 s by default; a bad value is said and the default kept', async () => {
    const { watchPollMs } = await import('../../src/config/watch.js');
    expect(watchPollMs({})).toBe(1000);
    expect(watchPollMs({ SWITCHBOARD_WATCH_POLL: '2s' })).toBe(2000);
    expect(watchPollMs({ SWITCHBOARD_WATCH_POLL: '500ms' })).toBe(500);
    expect(watchPollMs({ SWITCHBOARD_WATCH_POLL: 'off' })).toBe(0);
    expect(watchPollMs({ SWITCHBOARD_WATCH_POLL: '0' })).toBe(0);
    for (const bad of ['fast', '10ms', '2d']) expect(watchPollMs({ SWITCHBOARD_WATCH_POLL: bad })).toEqual({ error: expect.stringContaining(`SWITCHBOARD_WATCH_POLL="${bad}" is not a duration`) });
  });
});
