// Watches the config file's directory, not the file: editors save by writing a
// temp file and renaming it over, and Kubernetes swaps a ConfigMap by moving a
// symlink, so the file's own inode (and a watch on it) does not survive either.
// When the file is a symlink, the directories of every link on the way to the
// real file are watched too: an edit of the real file changes nothing in the
// link's own directory. The chain is resolved again after every change, since
// the link may have been pointed somewhere else.
// Any change is debounced, then the file is re-read (never more than the size
// limit) and only a change in its content (by hash) triggers a reload.
// A watch follows an inode, not a name: when a watched directory is replaced
// (`mv new dir`, a tool that swaps the parent), the watch stays on the old one.
// So each watch remembers its directory's inode and is set up again when the
// name leads to another; and a periodic stat of the directories and the file
// (cheap, a few calls a second) catches what no watch reports, such as a
// parent further up being replaced.
import { createHash } from 'node:crypto';
import { lstatSync, readlinkSync, realpathSync, statSync, watch, type FSWatcher, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { maxConfigBytes, readConfigFile } from './load.js';
import { parseDuration } from './units.js';

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

/** What a stat says about which file a name leads to and whether it changed; '' when there is none. */
function identity(path: string, withContent: boolean): string {
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    return '';
  }
  return withContent ? `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}` : `${st.dev}:${st.ino}`;
}

export const WATCH_POLL_ENV = 'SWITCHBOARD_WATCH_POLL';
export const DEFAULT_WATCH_POLL_MS = 1000;

/**
 * How often the file is looked at besides the watch: `SWITCHBOARD_WATCH_POLL`
 * as a duration (`2s`, `500ms`), `0` or `off` for never; 1 s when unset. Where
 * inotify does not cross a mount (some bind mounts, network filesystems), the
 * stat of size, times and inode still sees a change.
 */
export function watchPollMs(env: NodeJS.ProcessEnv): number | { error: string } {
  const raw = env[WATCH_POLL_ENV]?.trim();
  if (raw === undefined || raw === '') return DEFAULT_WATCH_POLL_MS;
  if (raw === '0' || raw.toLowerCase() === 'off') return 0;
  const ms = parseDuration(raw);
  if (ms === undefined || ms < 100 || ms > 3_600_000) {
    return { error: `${WATCH_POLL_ENV}=${JSON.stringify(raw)} is not a duration from 100ms to 1h (or 0/off): polling every ${DEFAULT_WATCH_POLL_MS} ms` };
  }
  return ms;
}

/**
 * Calls `onChange(text)` when the file's content differs from the last content
 * seen (starting with `initialHash`); `onChange(undefined)` when it changed but
 * is too large to read, so the reload reports that. Bursts of events within
 * `debounceMs` are one change. Every `pollMs` (0: never) the file and the
 * watched directories are looked at too, for changes no watch reported.
 */
export function watchConfig(file: string, initialHash: string, onChange: (text: string | undefined) => void, debounceMs = 150, env: NodeJS.ProcessEnv = process.env, pollMs = 1000): ConfigWatcher {
  const path = resolve(file);
  let lastHash = initialHash;
  let timer: NodeJS.Timeout | undefined;
  /** Each watched directory's watch, and the inode it was set up on. */
  const watchers = new Map<string, { w: FSWatcher; id: string }>();
  let closed = false;
  /** The file as last checked: the poll checks again when a stat says otherwise. */
  let seenFile = identity(path, true);
  /** The directories (and their inodes) the watches were last set up for. */
  let seenDirs = '';
  const check = () => {
    timer = undefined;
    if (closed) return;
    arm();
    seenFile = identity(path, true);
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
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(check, debounceMs);
  };
  /**
   * Watches the directories the file resolves through now, and stops watching
   * those it no longer does, or whose name now leads to another directory.
   */
  const arm = () => {
    const wanted = new Map(watchedDirs(path).map((dir) => [dir, identity(dir, false)]));
    seenDirs = [...wanted].join();
    for (const [dir, { w, id }] of watchers) {
      if (wanted.get(dir) !== id) {
        w.close();
        watchers.delete(dir);
      }
    }
    for (const [dir, id] of wanted) {
      if (watchers.has(dir) || !id) continue;
      try {
        const w = watch(dir, { persistent: false }, onEvent);
        w.on('error', () => {
          w.close();
          if (watchers.get(dir)?.w === w) watchers.delete(dir);
          onEvent(); // gone: look again (and watch what replaced it) once things settle
        });
        watchers.set(dir, { w, id });
      } catch {
        // a directory on the way that cannot be watched (gone, no permission): the others still are
      }
    }
  };
  /** The fallback: a change of the file, or of any watched directory, that no watch reported. */
  const poll = () => {
    if (closed || timer) return;
    if (
      identity(path, true) !== seenFile ||
      watchedDirs(path)
        .map((dir) => [dir, identity(dir, false)])
        .join() !== seenDirs
    )
      onEvent();
  };
  arm();
  const poller = pollMs > 0 ? setInterval(poll, pollMs) : undefined;
  poller?.unref();
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (poller) clearInterval(poller);
      for (const { w } of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
