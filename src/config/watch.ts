// Watches the config file's directory, not the file: editors save by writing a
// temp file and renaming it over, and Kubernetes swaps a ConfigMap by moving a
// symlink, so the file's own inode (and a watch on it) does not survive either.
// Any change in the directory is debounced, then the file is re-read and only a
// change in its content (by hash) triggers a reload.
import { createHash } from 'node:crypto';
import { watch, readFileSync, type FSWatcher } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface ConfigWatcher {
  close(): void;
}

export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Calls `onChange(text)` when the file's content differs from the last content
 * seen (starting with `initialHash`). Bursts of events within `debounceMs` are one change.
 */
export function watchConfig(file: string, initialHash: string, onChange: (text: string) => void, debounceMs = 150): ConfigWatcher {
  const path = resolve(file);
  let lastHash = initialHash;
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return; // mid-swap or deleted: the next event will tell
    }
    const hash = contentHash(text);
    if (hash === lastHash) return;
    lastHash = hash;
    onChange(text);
  };
  let watcher: FSWatcher | undefined = watch(dirname(path), { persistent: false }, () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(check, debounceMs);
  });
  watcher.on('error', () => undefined);
  return {
    close() {
      if (timer) clearTimeout(timer);
      watcher?.close();
      watcher = undefined;
    },
  };
}
