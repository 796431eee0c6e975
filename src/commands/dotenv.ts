// `.env` in the working directory, read for `${NAME}` in the config: the
// variables it sets that the environment does not (the environment wins).
// Parsed with Node's own `.env` parser; the process environment is not changed.
import { readSmallFile } from '../lib/small-file.js';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import type { IO } from './io.js';

/** Largest `.env` read: it is a list of settings, not data. */
const MAX_DOTENV_BYTES = 256 * 1024;

export interface DotEnv {
  /** What `.env` adds, the environment's values winning. */
  readonly env: NodeJS.ProcessEnv;
  /** Names taken from the file. */
  readonly used: readonly string[];
  /** Names in the file that the environment already sets (the environment's values were kept). */
  readonly shadowed: readonly string[];
}

/** Reads `<dir>/.env`; undefined when there is none. A file that cannot be read is an error message. */
export function readDotEnv(dir: string, env: NodeJS.ProcessEnv): DotEnv | { error: string } | undefined {
  const file = join(dir, '.env');
  const r = readSmallFile(file, MAX_DOTENV_BYTES);
  if ('code' in r) return r.code === 'ENOENT' || r.code === 'ENOTDIR' ? undefined : { error: `${file} could not be read (${r.code})` };
  if ('problem' in r) return { error: r.problem === 'too-large' ? `${file} is over ${MAX_DOTENV_BYTES / 1024} KB: not read` : `${file} is not a regular file: not read` };
  const text = r.text;
  const parsed = parseEnv(text) as Record<string, string>;
  const used: string[] = [];
  const shadowed: string[] = [];
  for (const name of Object.keys(parsed)) (env[name] !== undefined ? shadowed : used).push(name);
  return { env: { ...parsed, ...env }, used, shadowed };
}

/**
 * The IO with `.env` merged under its environment. Says which names came
 * from it (names only, never values) on stderr when `announce` (serve) is set,
 * and always when the file cannot be read.
 */
export function withDotEnv(io: IO, announce: boolean): IO {
  const found = readDotEnv(io.cwd, io.env);
  if (!found) return io;
  if ('error' in found) {
    io.err(`switchboard: warning: ${found.error}`);
    return io;
  }
  if (announce && (found.used.length || found.shadowed.length)) {
    const shadow = found.shadowed.length ? `; the environment already sets ${found.shadowed.join(', ')} (kept)` : '';
    io.err(`switchboard: read .env: ${found.used.length ? found.used.join(', ') : 'nothing new'}${shadow}`);
  }
  return { ...io, env: found.env };
}
