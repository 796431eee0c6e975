// Reads a small settings file (a secret file, .env) safely: opened without
// blocking (a FIFO must not hang the caller before the type check refuses it),
// a regular file only, at most `cap` bytes — checked on the open file and again
// while reading, so a file that grows or lies about its size cannot make us read more.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

export type SmallFile =
  | { readonly text: string }
  /** Why not: not a regular file, over the cap, or the system's error code (ENOENT, EACCES…). */
  | { readonly problem: 'directory' | 'not-regular' | 'too-large' }
  | { readonly code: string };

export function readSmallFile(path: string, cap: number): SmallFile {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (!st.isFile()) return { problem: st.isDirectory() ? 'directory' : 'not-regular' };
    if (st.size > cap) return { problem: 'too-large' };
    const buf = Buffer.alloc(cap + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    if (n > cap) return { problem: 'too-large' };
    return { text: buf.subarray(0, n).toString('utf8') };
  } catch (err) {
    return { code: (err as NodeJS.ErrnoException).code ?? 'unreadable' };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
