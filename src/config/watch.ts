// Watches the config file's directory, not the file: editors save by writing a
// temp file and renaming it over, and Kubernetes swaps a ConfigMap by moving a
// symlink, so the file's own inode (and a watch on it) does not survive either.
// When the file is a symlink, the directories of every link on the way to the
// real file are watched too: an edit of the real file changes nothing in the
// link's own directory. The chain is resolved again after every change, since
// the link may have been pointed somewhere else.
// Any change is debounced, then the file is re-read (never more than the size
// limit) and only a change in its content (by hash) triggers a reload.
import { createHash } from 'node:crypto';
import { lstatSync, readlinkSync, realpathSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { maxConfigBytes, readConfigFile } from './load.js';

export interface ConfigWatcher {
  close(): void;
}

export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The directories holding `path` and every symlink it resolves through (at
 * most 40 hops, as the OS allows), each by its real path: after a Kubernetes
 * `..data` swap the same name is a new directory, and needs a new watch.
 */
export function watchedDirs(path: string): string[] {
  const real = (dir: string) => {
    try {
      return realpathSync(dir);
    } catch {
      return dir;
    }
  };
  const dirs = new Set<string>([real(dirname(path))]);
  let cur = path;
  for (let hop = 0; hop < 40; hop++) {
    let link: string;
    try {
      if (!lstatSync(cur).isSymbolicLink()) break;
      link = readlinkSync(cur);
    } catch {
      break; // missing mid-swap: the directories already found are watched
    }
    cur = resolve(dirname(cur), link);
    dirs.add(real(dirname(cur)));
  }
  return [...dirs];
}

/**
 * Calls `onChange(text)` when the file's content differs from the last content
 * seen (starting with `initialHash`); `onChange(undefined)` when it changed but
 * is too large to read, so the reload reports that. Bursts of events within
 * `debounceMs` are one change.
 */
export function watchConfig(file: string, initialHash: string, onChange: (text: string | undefined) => void, debounceMs = 150, env: NodeJS.ProcessEnv = process.env): ConfigWatcher {
  const path = resolve(file);
  let lastHash = initialHash;
  let timer: NodeJS.Timeout | undefined;
  const watchers = new Map<string, FSWatcher>();
  let closed = false;
  const check = () => {
    if (closed) return;
    arm();
    const limit = maxConfigBytes(env);
    if (typeof limit !== 'number') return onChange(undefined);
    let st;
    try {
      st = statSync(path);
    } catch {
      return; // mid-swap or deleted: the next event will tell
    }
    // Too large to read here: the reload reports it once per distinct file (size and time).
    if (st.size > limit) {
      const key = `too-large:${st.size}:${st.mtimeMs}`;
      if (key === lastHash) return;
      lastHash = key;
      return onChange(undefined);
    }
    const read = readConfigFile(path, limit);
    if ('issue' in read) return;
    const hash = contentHash(read.text);
    if (hash === lastHash) return;
    lastHash = hash;
    onChange(read.text);
  };
  const onEvent = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(check, debounceMs);
  };
  /** Watches the directories the file resolves through now, and stops watching those it no longer does. */
  const arm = () => {
    const wanted = new Set(watchedDirs(path));
    for (const [dir, w] of watchers) {
      if (!wanted.has(dir)) {
        w.close();
        watchers.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, onEvent);
        w.on('error', () => {
          w.close();
          watchers.delete(dir);
        });
        watchers.set(dir, w);
      } catch {
        // a directory on the way that cannot be watched (gone, no permission): the others still are
      }
    }
  };
  arm();
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
