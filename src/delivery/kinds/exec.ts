// kind: exec — runs a command per delivery. The command is an argv list, run
// directly (execFile semantics, never a shell): each item, rendered from its
// template, is one argument whatever it holds (`; rm -rf /`, `$(id)`, a
// newline, a leading `-`). The body goes to stdin. The child gets a minimal
// environment (PATH, plus the target's `env`), never Switchboard's own, which
// holds its secrets. It runs in its own process group; the timeout kills the
// whole group (a shell script's `sleep` too). Exit 0 is success; any other
// exit or a signal is retried; a missing executable is permanent. stdout and
// stderr are kept as excerpts (at most 2 KB each: the start and the end);
// the rest is read and discarded, so a chatty command cannot fill memory.
//
// Whoever writes routes.yaml decides what runs, with Switchboard's user's
// rights: the payload only ever fills arguments.
import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { PublishError, type KindProblem, type TargetKind } from './types.js';
import { errorMessage } from '../../lib/errors.js';

export interface ExecSettings {
  /** argv[0] (a path, or a name looked up in the child's PATH) and the argument templates. */
  readonly command: readonly string[];
  readonly cwd?: string;
  /** The child's whole environment besides PATH (which it may override). */
  readonly env: Readonly<Record<string, string>>;
}

/** At most this many bytes of stdout and of stderr are kept. */
export const EXCERPT_BYTES = 2048;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** After the process exits, how long its pipes may stay open (held by a child it left behind) before they are closed. */
const DRAIN_MS = 200;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** On shutdown, how long a command has between SIGTERM and SIGKILL. */
export const STOP_GRACE_MS = 2000;

export const exec: TargetKind<ExecSettings, undefined> = {
  name: 'exec',
  summary: 'Runs a command (an argv list, never a shell) with the body on stdin; exit status 0 is success.',
  confirmedBy: 'exit status 0',
  keys: {
    // No "type" here on purpose: a string must reach compile, which says why it is refused.
    command: {
      items: { type: ['string', 'number', 'boolean'] },
      minItems: 1,
      description:
        'The command as an argv list: the executable (a path, or a name looked up in PATH; no template), then its arguments, each of which may hold {{ JSONata }} templates and is passed as one argument whatever it contains. Never run through a shell, so a single string is refused.',
    },
    cwd: { type: 'string', description: 'The working directory (default: Switchboard’s).' },
    env: {
      type: 'object',
      additionalProperties: { type: ['string', 'number', 'boolean'] },
      description: 'Environment variables for the command. The command gets only these and PATH, never Switchboard’s own environment.',
    },
  },
  required: ['command'],
  templated: ['command'],

  compile(raw) {
    const problems: KindProblem[] = [];
    const command = raw.command;
    let argv: string[] = [];
    if (typeof command === 'string') {
      problems.push({
        key: 'command',
        message: `must be a list (argv), not a string: commands never run through a shell, so there is nothing to split "${clip(command)}" into arguments; write e.g. command: [${suggest(command)}]`,
      });
    } else if (!Array.isArray(command) || command.length === 0) {
      problems.push({ key: 'command', message: 'expected a list: the executable, then its arguments' });
    } else {
      command.forEach((item, i) => {
        if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') argv.push(String(item));
        else problems.push({ key: 'command', message: `item ${i} must be text, got ${item === null ? 'null' : Array.isArray(item) ? 'a list' : typeof item}` });
      });
      const exe = argv[0];
      if (exe !== undefined && exe.trim() === '') problems.push({ key: 'command', message: 'the executable (the first item) is empty' });
      if (exe?.includes('{{')) problems.push({ key: 'command', message: 'the executable (the first item) cannot be a template: the payload may fill arguments, never choose what runs' });
      if (argv.some((a) => a.includes('\0'))) problems.push({ key: 'command', message: 'an argument holds a NUL byte' });
    }
    if (problems.length) argv = [];
    let cwd: string | undefined;
    if (raw.cwd !== undefined) {
      if (typeof raw.cwd !== 'string' || raw.cwd === '') problems.push({ key: 'cwd', message: 'expected a directory path' });
      else cwd = raw.cwd;
    }
    const env: Record<string, string> = {};
    if (raw.env !== undefined) {
      if (!raw.env || typeof raw.env !== 'object' || Array.isArray(raw.env)) problems.push({ key: 'env', message: 'expected a mapping of variable names to values' });
      else
        for (const [name, value] of Object.entries(raw.env)) {
          if (!ENV_NAME.test(name)) problems.push({ key: 'env', message: `"${name}" is not a valid environment variable name` });
          else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
            if (String(value).includes('\0')) problems.push({ key: 'env', message: `${name} holds a NUL byte` });
            else env[name] = String(value);
          } else problems.push({ key: 'env', message: `${name} must be text` });
        }
    }
    // Shared by every kind, but exec has nowhere to put them: refused rather than silently dropped.
    if (raw.headers !== undefined && raw.headers !== null && (typeof raw.headers !== 'object' || Object.keys(raw.headers).length > 0))
      problems.push({ key: 'headers', message: 'exec targets take no headers: a command has no headers (pass values as arguments or env)' });
    if (problems.length) return { problems };
    return { command: argv, ...(cwd !== undefined ? { cwd } : {}), env };
  },

  describe(s, msg) {
    return { method: 'EXEC', url: `exec:${argvOf(s, msg.values, false).map(shown).join(' ')}` };
  },

  async publish(_conn, msg, s, timeoutMs, abort) {
    const argv = argvOf(s, msg.values);
    const [file, ...args] = argv;
    if (argv.some((a) => a.includes('\0'))) throw new PublishError('an argument holds a NUL byte: it cannot be passed to a command', true);
    if (s.cwd !== undefined) {
      const dir = await stat(s.cwd).catch(() => undefined);
      if (!dir?.isDirectory()) throw new PublishError(`cwd ${s.cwd} is not a directory`, true);
    }
    if (abort?.aborted) throw new Error('shutting down: the command was not started');
    const started = Date.now();
    let child: ChildProcess;
    try {
      child = spawn(file!, args, {
        cwd: s.cwd,
        env: { PATH: process.env.PATH || DEFAULT_PATH, ...s.env },
        shell: false,
        detached: true, // its own process group, so the timeout can kill everything it started
        stdio: ['pipe', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (err) {
      throw new PublishError(`cannot run ${file}: ${errorMessage(err)}`, true);
    }
    const out = new Excerpt();
    const errs = new Excerpt();
    return new Promise((resolve, reject) => {
      let settled = false;
      let exited = false;
      let drain: NodeJS.Timeout | undefined;
      const finish = (err: Error | undefined, detail?: string) => {
        if (settled) return;
        settled = true;
        cleanup();
        clearTimeout(timer);
        clearTimeout(drain);
        child.stdout?.destroy();
        child.stderr?.destroy();
        if (err) reject(err);
        else resolve({ detail: detail! });
      };
      const output = () => [out.describe('stdout'), errs.describe('stderr')].filter(Boolean).join('; ');
      const timer = setTimeout(() => {
        killGroup(child);
        const o = output();
        finish(new Error(`timeout: ${file} did not finish within ${timeoutMs} ms; its process group was killed${o ? `; ${o}` : ''}`));
      }, timeoutMs);
      // Shutdown: SIGTERM to the group, SIGKILL after a grace; the delivery fails (retried after the restart),
      // whatever the command exits with, since its work was cut short.
      let stopped = false;
      let hardKill: NodeJS.Timeout | undefined;
      const onAbort = () => {
        if (settled || stopped) return;
        stopped = true;
        killGroup(child, 'SIGTERM');
        hardKill = setTimeout(() => killGroup(child), STOP_GRACE_MS);
      };
      abort?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => {
        clearTimeout(hardKill);
        abort?.removeEventListener('abort', onAbort);
      };
      child.on('error', (err: NodeJS.ErrnoException) => {
        if (exited) return;
        exited = true;
        const permanent = err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'ENOTDIR' || err.code === 'EISDIR';
        const why = err.code === 'ENOENT' ? 'no such executable' : err.code === 'EACCES' ? 'not executable (permission denied)' : err.message;
        finish(new PublishError(`cannot run ${file}: ${why}`, permanent));
      });
      child.stdout!.on('data', (c: Buffer) => out.add(c));
      child.stderr!.on('data', (c: Buffer) => errs.add(c));
      child.stdout!.on('error', () => undefined);
      child.stderr!.on('error', () => undefined);
      // A command that does not read its stdin (or exits first) makes the write fail with EPIPE: not a failure by itself.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(msg.body);
      let code: number | null = null;
      let signal: NodeJS.Signals | null = null;
      const report = () => {
        const took = Date.now() - started;
        const o = output();
        if (stopped)
          return finish(new Error(`shutting down: ${file} was stopped after ${took} ms (${signal ? `killed by ${signal}` : `exit ${code}`}); retried after the restart${o ? `; ${o}` : ''}`));
        if (code === 0) return finish(undefined, `exit 0 in ${took} ms${o ? `; ${o}` : ''}`);
        const how = signal ? `killed by ${signal}` : `exit ${code}`;
        finish(new Error(`${file}: ${how} after ${took} ms${o ? `; ${o}` : ''}`));
      };
      child.on('exit', (c, sig) => {
        if (exited) return;
        exited = true;
        code = c;
        signal = sig;
        // Wait for the pipes to deliver what is left, but not for a child it left behind holding them open.
        drain = setTimeout(report, DRAIN_MS);
      });
      child.on('close', () => {
        if (exited && !settled) report();
      });
    });
  },
};

/** The rendered argv: the executable as configured, each argument from its rendered template. */
function argvOf(s: ExecSettings, values: Readonly<Record<string, string>>, strict = true): string[] {
  return s.command.map((item, i) => {
    if (i === 0) return item;
    const v = values[`argv.${i}`] ?? values[`command.${i}`];
    // An argument whose text came from the payload and starts with "-" would be read as an option
    // (git --upload-pack=…): refused. Literal text around the template (--name={{ x }}) is the config's choice.
    if (v !== undefined && /^\s*\{\{/.test(item) && v.startsWith('-')) {
      throw new PublishError(`argument ${i} rendered to text starting with "-" (${JSON.stringify(v.slice(0, 40))}), which the program would take as an option; refused`, true);
    }
    if (v !== undefined) return v;
    if (strict && item.includes('{{')) throw new PublishError(`argument ${i} was not rendered from its template`, true);
    return item;
  });
}

function killGroup(child: ChildProcess, sig: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    // The group is gone already.
  }
}

/** The first and last bytes of a stream (at most EXCERPT_BYTES in all), and how many there were. */
class Excerpt {
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer = Buffer.alloc(0);
  private total = 0;
  private static readonly HALF = (EXCERPT_BYTES - 48) / 2; // room for the "… n bytes …" marker

  add(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headBytes < EXCERPT_BYTES) {
      const take = chunk.subarray(0, EXCERPT_BYTES - this.headBytes);
      this.head.push(take);
      this.headBytes += take.length;
      chunk = chunk.subarray(take.length);
    }
    if (chunk.length) {
      const keep = Excerpt.HALF;
      this.tail = chunk.length >= keep ? Buffer.from(chunk.subarray(chunk.length - keep)) : Buffer.concat([this.tail, chunk]).subarray(-keep);
    }
  }

  text(): string {
    const head = Buffer.concat(this.head);
    if (this.total <= EXCERPT_BYTES) return head.toString('utf8');
    const h = head.subarray(0, Excerpt.HALF);
    // The tail: the last HALF bytes of everything (the end of the head when little came after it).
    const all = this.total - h.length;
    const t = Buffer.concat([head.subarray(h.length), this.tail]).subarray(-Math.min(Excerpt.HALF, all));
    return `${h.toString('utf8')}…[${this.total - h.length - t.length} bytes]…${t.toString('utf8')}`;
  }

  describe(name: string): string {
    if (this.total === 0) return '';
    return `${name} ${JSON.stringify(this.text())}${this.total > EXCERPT_BYTES ? ` (${this.total} bytes)` : ''}`;
  }
}

function shown(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg);
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

function suggest(command: string): string {
  return command
    .trim()
    .split(/\s+/)
    .slice(0, 4)
    .map((w) => JSON.stringify(w))
    .join(', ');
}
