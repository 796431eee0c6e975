// Command plumbing: where output goes (so tests can capture it), colour, and
// the config + payload loading every command shares.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { loadConfig } from '../config/load.js';
import { formatIssue, omittedLine } from '../config/issues.js';
import type { Config } from '../config/types.js';
import { parseBody, type BodyKind } from '../lib/body.js';

export interface IO {
  /** A line to stdout; colour codes are taken out when stdout is not coloured. */
  out(line?: string): void;
  /** A line to stderr; colour codes are taken out when stderr is not coloured. */
  err(line?: string): void;
  /** Whether text may be painted at all (either stream is coloured): each stream drops what it does not show. */
  color: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIO(): IO {
  // `switchboard try … | head` closes the pipe early: that is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  const outColor = colorFor(process.stdout, process.env);
  const errColor = colorFor(process.stderr, process.env);
  return {
    out: (line = '') => process.stdout.write(`${outColor ? line : plain(line)}\n`),
    err: (line = '') => process.stderr.write(`${errColor ? line : plain(line)}\n`),
    color: outColor || errColor,
    env: process.env,
    cwd: process.cwd(),
  };
}

/**
 * Colour for one stream: FORCE_COLOR (anything but 0/false) forces it, NO_COLOR
 * (any value) turns it off, else a terminal that is not TERM=dumb gets it. Per
 * stream: `validate 2> err.log` keeps escapes out of the file.
 */
export function colorFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  if (force === '0' || force === 'false') return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

/**
 * Text from outside (a recorded topic, a body, a target's error) made safe to
 * print on a terminal: control characters other than newline and tab — ESC
 * sequences that set the title, clear the screen or hide a link among them —
 * are shown as \\xNN / \\u{NN} instead of being sent to the terminal.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- the control characters are what is being replaced
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (ch) => {
    const code = ch.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** The text without SGR colour codes (what paint() adds). */
export function plain(line: string): string {
  // eslint-disable-next-line no-control-regex -- the escape character is what is being removed
  return line.includes('\x1b[') ? line.replace(/\x1b\[[0-9;]*m/g, '') : line;
}

export function paint(io: IO) {
  const wrap = (code: number) => (s: string) => (io.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { red: wrap(31), green: wrap(32), yellow: wrap(33), dim: wrap(2), bold: wrap(1) };
}

/** Loads the config, printing every issue; undefined when it has errors. */
export function loadForCommand(file: string, io: IO): Config | undefined {
  const result = loadConfig(file, { env: io.env });
  const c = paint(io);
  for (const issue of result.issues) {
    const line = formatIssue(issue);
    io.err(issue.severity === 'warning' ? c.yellow(line) : c.red(line));
  }
  const more = omittedLine(file, result.omittedErrors ?? 0);
  if (more) io.err(c.red(more));
  if (!result.config) {
    const n = result.issues.filter((i) => i.severity === 'error').length + (result.omittedErrors ?? 0);
    io.err(`${file}: ${n} error${n === 1 ? '' : 's'}`);
  }
  return result.config;
}

export interface LoadedPayload {
  raw: Uint8Array;
  contentType: string;
  kind: BodyKind;
  payload: unknown;
}

/** A payload for `try`/`test`: from a file (type from the header, extension or content) or inline. */
export function readPayloadFile(file: string, contentType?: string): LoadedPayload | { error: string } {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { error: `cannot read payload file ${file} (${code === 'ENOENT' ? 'no such file' : (code ?? 'unreadable')})` };
  }
  return parsePayload(raw, contentType ?? guessContentType(file, raw), file);
}

export function inlinePayload(value: unknown, contentType?: string): LoadedPayload | { error: string } {
  if (typeof value === 'string' && contentType && !contentType.includes('json')) {
    return parsePayload(Buffer.from(value), contentType, 'inline payload');
  }
  const raw = Buffer.from(JSON.stringify(value));
  return parsePayload(raw, contentType ?? 'application/json', 'inline payload');
}

function parsePayload(raw: Uint8Array, contentType: string, what: string): LoadedPayload | { error: string } {
  const parsed = parseBody(raw, contentType);
  if (!parsed.ok) return { error: `${what}: ${parsed.error}` };
  return { raw, contentType, kind: parsed.kind, payload: parsed.payload };
}

function guessContentType(file: string, raw: Buffer): string {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return 'application/json';
  if (ext === '.form' || ext === '.urlencoded') return 'application/x-www-form-urlencoded';
  if (ext === '.txt') return 'text/plain; charset=utf-8';
  if (ext === '.xml') return 'application/xml';
  const text = raw.toString('utf8').trim();
  if (text.startsWith('{') || text.startsWith('[')) return 'application/json';
  if (/^[\w.%+\-[\]]+=[^\s]*(&[\w.%+\-[\]]+=[^\s]*)*$/.test(text)) return 'application/x-www-form-urlencoded';
  return 'text/plain; charset=utf-8';
}

/** `-H 'Name: value'` → [name, value]; undefined when malformed. */
export function parseHeaderArg(arg: string): [string, string] | undefined {
  const i = arg.indexOf(':');
  if (i <= 0) return undefined;
  const name = arg.slice(0, i).trim();
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) return undefined;
  return [name.toLowerCase(), arg.slice(i + 1).trim()];
}
