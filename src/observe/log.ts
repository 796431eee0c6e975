// Structured logs (JSON lines, pino). What goes in is chosen field by field:
// sources, topics, ids, statuses and timings; never headers, bodies or secrets.
// As a last line of defence every line is also masked on its way out: the live
// config's secrets (when the caller says where to find them) and any password
// in a URL — so an error message that happens to quote one cannot leak it.
//
// Format: JSON lines by default — what log shippers read. In a terminal (or
// with LOG_FORMAT=pretty) one readable line per entry, coloured unless
// NO_COLOR, through pino-pretty, an optional dependency (not in the Docker
// image); without it the logs stay JSON and one line says why.
// LOG_FORMAT=json forces JSON.
//
// JSON lines go to stdout through a bounded buffer, written without blocking
// the event loop: a reader that stops reading (a paused pager, a log shipper
// that stalls) costs at most SWITCHBOARD_LOG_BUFFER of memory, then lines are
// dropped and, once stdout drains, one warning says how many. At exit what is
// still buffered gets a second to go out, so a stopped server never waits on a
// reader that is gone (pino's own stdout stream retries such a write forever).
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type * as SonicBoomModule from 'sonic-boom';
import type { SonicBoom as SonicBoomStream } from 'sonic-boom';
import { createRedactor } from './redact.js';
import { parseSize } from '../config/units.js';

export type { Logger };

const NO_SECRETS: readonly string[] = Object.freeze([]);
// CommonJS, and its named export is not visible to ESM: required.
const { SonicBoom } = createRequire(import.meta.url)('sonic-boom') as typeof SonicBoomModule;

/** Log lines waiting for stdout, at most (SWITCHBOARD_LOG_BUFFER overrides it). */
export const DEFAULT_LOG_BUFFER_BYTES = 8 * 1024 * 1024;
/** At exit, how long lines still buffered may wait for stdout to take them. */
const EXIT_FLUSH_MS = 1000;

function logBufferBytes(env: NodeJS.ProcessEnv): number | { error: string } {
  const raw = env.SWITCHBOARD_LOG_BUFFER;
  if (raw === undefined || raw.trim() === '') return DEFAULT_LOG_BUFFER_BYTES;
  const n = parseSize(raw.trim());
  if (n === undefined || n < 4096) return { error: `SWITCHBOARD_LOG_BUFFER must be a size of at least 4kb (e.g. 8mb), not ${JSON.stringify(raw)}: using 8mb` };
  return n;
}

/** What runs at exit: one listener for every logger's stream. */
const exitFlushes = new Set<() => void>();
function atExit(flush: () => void): void {
  if (exitFlushes.size === 0) process.once('exit', () => exitFlushes.forEach((f) => f()));
  exitFlushes.add(flush);
}

/**
 * Stdout as a non-blocking stream holding at most `limit` bytes. `dropped` is
 * called, once stdout has taken everything again, with how many lines did not fit.
 */
function boundedStdout(limit: number, dropped: (lines: number) => void): SonicBoomStream {
  let exitingAt: number | undefined;
  const stream = new SonicBoom({
    fd: 1,
    sync: false,
    maxLength: limit,
    // A full pipe is waited for (retried every 100 ms) while the server runs; at exit only briefly.
    retryEAGAIN: () => exitingAt === undefined || Date.now() - exitingAt < EXIT_FLUSH_MS,
  });
  let lost = 0;
  stream.on('drop', () => {
    if (lost++ === 0)
      stream.once('drain', () => {
        const n = lost;
        lost = 0;
        dropped(n);
      });
  });
  // EPIPE (the reader is gone) or another write error: stop logging, keep serving.
  stream.on('error', () => {
    stream.write = () => true;
    stream.flushSync = () => undefined;
  });
  atExit(() => {
    exitingAt = Date.now();
    try {
      stream.flushSync();
    } catch {
      // stdout did not take the rest within EXIT_FLUSH_MS: it is dropped
    }
  });
  return stream;
}

export type LogFormat = 'json' | 'pretty';

/** LOG_FORMAT when it says, else pretty only when the logs go to a terminal. */
export function logFormat(env: NodeJS.ProcessEnv, stream: { isTTY?: boolean }): LogFormat | { error: string } {
  const asked = env.LOG_FORMAT?.trim().toLowerCase();
  if (asked === 'json' || asked === 'pretty') return asked;
  if (asked) return { error: `LOG_FORMAT must be json or pretty, not ${JSON.stringify(env.LOG_FORMAT)}: writing JSON` };
  return stream.isTTY && env.TERM !== 'dumb' ? 'pretty' : 'json';
}

/** Colour for pretty logs: as the CLI decides it (FORCE_COLOR, NO_COLOR, a terminal). */
function colorize(env: NodeJS.ProcessEnv, stream: { isTTY?: boolean }): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  if (force === '0' || force === 'false' || (env.NO_COLOR !== undefined && env.NO_COLOR !== '')) return false;
  return Boolean(stream.isTTY);
}

/** pino-pretty's stream factory, or undefined when the optional package is not installed. */
function prettyFactory(): ((opts: Record<string, unknown>) => NodeJS.WritableStream) | undefined {
  try {
    const mod = createRequire(import.meta.url)('pino-pretty') as { default?: unknown; build?: unknown };
    const f = (typeof mod === 'function' ? mod : (mod.default ?? mod.build)) as ((opts: Record<string, unknown>) => NodeJS.WritableStream) | undefined;
    return typeof f === 'function' ? f : undefined;
  } catch {
    return undefined;
  }
}

export function createLogger(
  env: NodeJS.ProcessEnv = process.env,
  destination?: NodeJS.WritableStream,
  /** The secrets to mask, read at each line (they change on reload). */
  secrets: () => readonly string[] = () => NO_SECRETS,
): Logger {
  const level = env.LOG_LEVEL ?? 'info';
  // One redactor per list of secrets (a config's list is one frozen array): not one built for every line.
  let last: { secrets: readonly string[]; redact: ReturnType<typeof createRedactor> } | undefined;
  const redactorFor = (list: readonly string[]) => {
    if (last?.secrets !== list) last = { secrets: list, redact: createRedactor(list) };
    return last.redact;
  };
  const options = {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) {
        const redact = redactorFor(secrets());
        method.apply(
          this,
          args.map((a) => (a instanceof Error ? { err: redact.text(a.message) } : redact.value(a))),
        );
      },
    },
  };
  if (destination) return pino(options as never, destination as never);
  const format = logFormat(env, process.stdout);
  let note: string | undefined = typeof format === 'object' ? format.error : undefined;
  if (format === 'pretty') {
    const pretty = prettyFactory();
    if (pretty) {
      // Synchronous: a line is on the terminal before the next statement runs, as with JSON.
      const stream = pretty({ colorize: colorize(env, process.stdout), sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true, destination: 1 });
      return pino(options as never, stream as never);
    }
    note = 'pretty logs need the optional package pino-pretty (npm install pino-pretty): writing JSON';
  }
  const limit = logBufferBytes(env);
  // The warning about dropped lines is written by this logger, once stdout takes lines again.
  const box: { log?: Logger } = {};
  const stdout = boundedStdout(typeof limit === 'number' ? limit : DEFAULT_LOG_BUFFER_BYTES, (lines) =>
    box.log?.warn({ dropped: lines }, `${lines} log line(s) dropped: stdout was not being read and the log buffer (SWITCHBOARD_LOG_BUFFER) was full`),
  );
  const log = (box.log = pino(options as never, stdout));
  if (note) log.warn({ setting: 'LOG_FORMAT' }, note);
  if (typeof limit === 'object') log.warn({ setting: 'SWITCHBOARD_LOG_BUFFER' }, limit.error);
  return log;
}
