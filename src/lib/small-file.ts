// Reads a small file (a secret file, .env, the config) safely: at most `cap`
// bytes — checked on the open file and again while reading, so a file that grows
// or lies about its size cannot make us read more. A regular file only, opened
// without blocking (a FIFO must not hang the caller before the type check
// refuses it) — unless `streams` allows a pipe or a device too (the config as
// `-c /dev/stdin` or `-c <(…)`), which is then opened and read as it comes.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

export type SmallFile =
  | { readonly text: string }
  /** Why not: a directory, not a regular file (without `streams`), or the system's error code (ENOENT, EACCES…). */
  | { readonly problem: 'directory' | 'not-regular' }
  /** Over the cap: `size` is what the file says it holds, or at least what was read. */
  | { readonly problem: 'too-large'; readonly size: number }
  | { readonly code: string };

export interface SmallFileOptions {
  /** Also read a pipe, a socket or a character device, to its end or the cap. */
  readonly streams?: boolean;
}

export function readSmallFile(path: string, cap: number, options: SmallFileOptions = {}): SmallFile {
  let fd: number | undefined;
  try {
    fd = openSync(path, options.streams ? constants.O_RDONLY : constants.O_RDONLY | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (st.isDirectory()) return { problem: 'directory' };
    if (!st.isFile() && !options.streams) return { problem: 'not-regular' };
    if (st.isFile() && st.size > cap) return { problem: 'too-large', size: st.size };
    const buf = Buffer.alloc(cap + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    if (n > cap) return { problem: 'too-large', size: Math.max(n, st.size) };
    return { text: buf.subarray(0, n).toString('utf8') };
  } catch (err) {
    return { code: (err as NodeJS.ErrnoException).code ?? 'unreadable' };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
