// kind: exec with real processes: hostile argument values arrive literally as
// single arguments (no shell anywhere), the body on stdin, an environment
// without Switchboard's secrets, the timeout killing the whole process group,
// output kept to excerpts while the rest is read and discarded.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXCERPT_BYTES, exec, type ExecSettings } from '../../../src/delivery/kinds/exec.js';
import { PublishError, type Message } from '../../../src/delivery/kinds/types.js';

let dir: string;
const node = process.execPath;
/** Writes what it got (argv, stdin, env, cwd) as JSON to $OUT, prints "ok". */
let report: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-exec-'));
  report = join(dir, 'report.cjs');
  writeFileSync(
    report,
    `const fs = require('node:fs');
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const stdin = Buffer.concat(chunks);
  fs.writeFileSync(process.env.OUT, JSON.stringify({ argv: process.argv.slice(2), stdin: stdin.toString('utf8'), stdinBytes: stdin.length, sha256: require('node:crypto').createHash('sha256').update(stdin).digest('hex'), env: process.env, cwd: process.cwd() }));
  process.stdout.write('ok');
});
`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const strays: number[] = [];
afterEach(() => {
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

function compiled(raw: Record<string, unknown>): ExecSettings {
  const s = exec.compile({ kind: 'exec', ...raw });
  if ('problems' in s) throw new Error(JSON.stringify(s.problems));
  return s;
}

function message(values: Record<string, string> = {}, body: Buffer | string = '{"order":42}'): Message {
  return { body: Buffer.from(body), contentType: 'application/json', values, headers: {}, deliveryId: 'dlv_1', topic: 'order.created', source: 'shop', eventId: 'evt_1' };
}

interface Report {
  argv: string[];
  stdin: string;
  stdinBytes: number;
  sha256: string;
  env: Record<string, string>;
  cwd: string;
}

function outFile(): string {
  return join(dir, `out-${randomBytes(6).toString('hex')}.json`);
}

function read(out: string): Report {
  return JSON.parse(readFileSync(out, 'utf8')) as Report;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the command to fail');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (killed, not yet reaped by whoever adopted it) is dead too.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('exec: compile', () => {
  it('takes an argv list, cwd and env (numbers and booleans as text)', () => {
    expect(exec.compile({ command: ['/usr/bin/notify', '--id', '{{ id }}', 3], cwd: '/tmp', env: { MODE: 'x', N: 1, ON: true } })).toEqual({
      command: ['/usr/bin/notify', '--id', '{{ id }}', '3'],
      cwd: '/tmp',
      env: { MODE: 'x', N: '1', ON: 'true' },
    });
    expect(exec.compile({ command: ['true'] })).toEqual({ command: ['true'], env: {} });
    expect(exec.templated).toContain('command');
    expect(exec.endpoint).toBeUndefined();
  });

  it('refuses a string command, saying why (no shell) and how to write it', () => {
    const r = exec.compile({ command: 'notify --id {{ id }}' }) as { problems: { key: string; message: string }[] };
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.key).toBe('command');
    expect(r.problems[0]!.message).toMatch(/must be a list.*never run through a shell/);
    expect(r.problems[0]!.message).toContain('command: ["notify", "--id", "{{", "id"]');
  });

  it.each([
    [{ command: [] }, 'command', /expected a list/],
    [{ command: { run: 'x' } }, 'command', /expected a list/],
    [{ command: ['notify', { a: 1 }] }, 'command', /item 1 must be text, got object/],
    [{ command: ['notify', null] }, 'command', /item 1 must be text, got null/],
    [{ command: ['{{ payload.program }}', 'x'] }, 'command', /cannot be a template/],
    [{ command: [' '] }, 'command', /empty/],
    [{ command: ['notify', 'a\u0000b'] }, 'command', /NUL/],
    [{ command: ['notify'], cwd: '' }, 'cwd', /directory/],
    [{ command: ['notify'], env: ['A=1'] }, 'env', /mapping/],
    [{ command: ['notify'], env: { 'BAD-NAME': 'x' } }, 'env', /not a valid environment variable name/],
    [{ command: ['notify'], env: { A: { b: 1 } } }, 'env', /A must be text/],
  ])('refuses %j', (raw, key, message) => {
    const r = exec.compile(raw) as { problems?: { key: string; message: string }[] };
    expect(r.problems).toContainEqual({ key, message: expect.stringMatching(message) as unknown as string });
  });

  it('describes the argv, quoting what is not plain', () => {
    const s = compiled({ command: ['/usr/bin/notify', '--id', '{{ id }}'] });
    expect(exec.describe(s, message({ 'argv.2': '; rm -rf /' }))).toEqual({ method: 'EXEC', url: 'exec:/usr/bin/notify --id "; rm -rf /"' });
  });
});

describe('exec: running commands', () => {
  const hostile = [
    '; rm -rf /',
    '$(id)',
    '`id`',
    'line one\nline two',
    // (values starting with "-" are refused as option injection: test/delivery/kinds/exec-options.test.ts)
    `it's "quoted"`,
    '*',
    '',
    '  spaces  ',
    '| cat /etc/passwd',
    '$HOME',
    '> /tmp/x',
    '&& echo pwned',
    '\\',
    'ünïcødé ✓',
  ];

  it('passes every hostile value literally, as one argument each, never through a shell', async () => {
    const out = outFile();
    const marker = join(dir, 'pwned');
    const values = [...hostile, `$(touch ${marker})`, `; touch ${marker}`];
    const command = [node, report, 'static arg', ...values.map((_, i) => `{{ v${i} }}`)];
    const s = compiled({ command, env: { OUT: out } });
    const rendered: Record<string, string> = {};
    values.forEach((v, i) => (rendered[`argv.${i + 3}`] = v));
    const c = await exec.publish(undefined, message(rendered), s, 10_000);
    expect(read(out).argv).toEqual(['static arg', ...values]);
    expect(existsSync(marker)).toBe(false);
    expect(c.detail).toMatch(/^exit 0 in \d+ ms; stdout "ok"$/);
  });

  it('also reads values keyed command.N', async () => {
    const out = outFile();
    const s = compiled({ command: [node, report, '{{ a }}'], env: { OUT: out } });
    await exec.publish(undefined, message({ 'command.2': '$(id)' }), s, 10_000);
    expect(read(out).argv).toEqual(['$(id)']);
  });

  it('refuses to run with an argument whose template was not rendered', async () => {
    const s = compiled({ command: [node, report, '{{ a }}'] });
    const err = await rejection(exec.publish(undefined, message(), s, 5000));
    expect((err as PublishError).permanent).toBe(true);
  });

  it('gives the body on stdin, whole (1 MB), in cwd', async () => {
    const out = outFile();
    const body = randomBytes(1 << 20);
    const s = compiled({ command: [node, report], cwd: dir, env: { OUT: out } });
    await exec.publish(undefined, message({}, body), s, 10_000);
    const r = read(out);
    expect(r.stdinBytes).toBe(body.length);
    expect(r.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(r.cwd).toBe(dir);
  });

  it("gives the child only PATH and the target's env, never Switchboard's environment", async () => {
    const secret = `s3cret-${randomBytes(8).toString('hex')}`;
    process.env.SWITCHBOARD_TEST_SECRET = secret;
    try {
      const out = outFile();
      const s = compiled({ command: [node, report], env: { OUT: out, GREETING: 'hi' } });
      await exec.publish(undefined, message(), s, 10_000);
      const r = read(out);
      expect(Object.keys(r.env).sort()).toEqual(['GREETING', 'OUT', 'PATH']);
      expect(r.env.GREETING).toBe('hi');
      expect(r.env.PATH).toBe(process.env.PATH);
      expect(JSON.stringify(r)).not.toContain(secret);
    } finally {
      delete process.env.SWITCHBOARD_TEST_SECRET;
    }
  });

  it('lets env override PATH, which is also where a bare name is looked up', async () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'sb-hello'), '#!/bin/sh\necho "hello from $PATH"\n');
    chmodSync(join(bin, 'sb-hello'), 0o755);
    const c = await exec.publish(undefined, message(), compiled({ command: ['sb-hello'], env: { PATH: `${bin}:/usr/bin:/bin` } }), 5000);
    expect(c.detail).toContain(`stdout "hello from ${bin}:/usr/bin:/bin\\n"`);
  });

  it('succeeds when the command does not read its stdin', async () => {
    const c = await exec.publish(undefined, message({}, randomBytes(4 << 20)), compiled({ command: [node, '-e', 'process.exit(0)'] }), 10_000);
    expect(c.detail).toMatch(/^exit 0/);
  });

  it('a non-zero exit is retried, with the stderr excerpt', async () => {
    const s = compiled({ command: [node, '-e', 'process.stdout.write("partial"); process.stderr.write("boom: disk full"); process.exit(3)'] });
    const err = await rejection(exec.publish(undefined, message(), s, 5000));
    expect(err instanceof PublishError && err.permanent).toBe(false);
    expect(err.message).toMatch(/exit 3 after \d+ ms; stdout "partial"; stderr "boom: disk full"$/);
  });

  it('a signal is retried', async () => {
    const s = compiled({ command: [node, '-e', 'process.kill(process.pid, "SIGTERM"); setTimeout(() => {}, 5000)'] });
    const err = await rejection(exec.publish(undefined, message(), s, 5000));
    expect(err instanceof PublishError && err.permanent).toBe(false);
    expect(err.message).toMatch(/killed by SIGTERM/);
  });

  it.each([
    ['a path that does not exist', ['/nonexistent/switchboard-no-such-program'], /no such executable/],
    ['a name not in PATH', ['switchboard-no-such-program-xyz'], /no such executable/],
  ])('a missing executable (%s) is permanent', async (_, command, message_) => {
    const err = await rejection(exec.publish(undefined, message(), compiled({ command }), 5000));
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).permanent).toBe(true);
    expect(err.message).toMatch(message_);
  });

  it('a file that is not executable is permanent', async () => {
    const file = join(dir, 'not-executable.sh');
    writeFileSync(file, '#!/bin/sh\nexit 0\n');
    chmodSync(file, 0o644);
    const err = await rejection(exec.publish(undefined, message(), compiled({ command: [file] }), 5000));
    expect((err as PublishError).permanent).toBe(true);
    expect(err.message).toMatch(/permission denied/);
  });

  it('a cwd that does not exist is permanent', async () => {
    const err = await rejection(exec.publish(undefined, message(), compiled({ command: [node, '-e', ''], cwd: join(dir, 'nope') }), 5000));
    expect((err as PublishError).permanent).toBe(true);
    expect(err.message).toMatch(/not a directory/);
  });

  it('the timeout kills the whole process group: the shell and the sleep it started', async () => {
    const pids = join(dir, `pids-${randomBytes(4).toString('hex')}`);
    const script = join(dir, 'group.sh');
    writeFileSync(script, '#!/bin/sh\nsleep 30 &\necho $! > "$PIDS"\necho $$ >> "$PIDS"\necho started\nwait\n');
    const s = compiled({ command: ['/bin/sh', script], env: { PIDS: pids } });
    const started = Date.now();
    const err = await rejection(exec.publish(undefined, message(), s, 700));
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(650);
    expect(took).toBeLessThan(2500);
    expect(err instanceof PublishError && err.permanent).toBe(false);
    expect(err.message).toMatch(/^timeout: \/bin\/sh did not finish within 700 ms; its process group was killed; stdout "started\\n"$/);
    const [sleepPid, shellPid] = readFileSync(pids, 'utf8').trim().split('\n').map(Number) as [number, number];
    strays.push(sleepPid, shellPid);
    const until = Date.now() + 2000;
    while ((alive(sleepPid) || alive(shellPid)) && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
    expect(alive(shellPid)).toBe(false);
    expect(alive(sleepPid)).toBe(false);
  });

  it('does not wait for a background child that keeps the pipes open after the command exited', async () => {
    const pids = join(dir, `pids-${randomBytes(4).toString('hex')}`);
    const s = compiled({ command: ['/bin/sh', '-c', 'sleep 30 & echo $! > "$PIDS"; echo done', 'sh'], env: { PIDS: pids } });
    const started = Date.now();
    const c = await exec.publish(undefined, message(), s, 10_000);
    strays.push(Number(readFileSync(pids, 'utf8').trim()));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(c.detail).toMatch(/^exit 0 in \d+ ms; stdout "done\\n"$/);
  });

  it('keeps at most 2 KB of each stream (its start and end) and reads the rest to the end', async () => {
    const mb = 8 << 20;
    const s = compiled({
      command: [node, '-e', `const big = "BEGIN" + "x".repeat(${mb}) + "END"; process.stdout.write(big); process.stderr.write("E-BEGIN" + "y".repeat(${mb}) + "E-END");`],
    });
    const c = await exec.publish(undefined, message(), s, 10_000);
    const m = /^exit 0 in \d+ ms; stdout ("(?:[^"\\]|\\.)*") \((\d+) bytes\); stderr ("(?:[^"\\]|\\.)*") \((\d+) bytes\)$/.exec(c.detail);
    expect(m).not.toBeNull();
    const [, outText, outBytes, errText, errBytes] = m!;
    expect(Number(outBytes)).toBe(mb + 8);
    expect(Number(errBytes)).toBe(mb + 12);
    const o = JSON.parse(outText!) as string;
    const e = JSON.parse(errText!) as string;
    for (const [text, start, end] of [
      [o, 'BEGIN', 'END'],
      [e, 'E-BEGIN', 'E-END'],
    ] as const) {
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(EXCERPT_BYTES);
      expect(text.startsWith(start)).toBe(true);
      expect(text.endsWith(`x${end}`) || text.endsWith(`y${end}`)).toBe(true);
      expect(text).toMatch(/…\[\d+ bytes\]…/);
    }
  });

  it('short output is kept whole', async () => {
    const exact = 'z'.repeat(EXCERPT_BYTES);
    const c = await exec.publish(undefined, message(), compiled({ command: [node, '-e', `process.stdout.write(${JSON.stringify(exact)})`] }), 5000);
    expect(c.detail).toMatch(/^exit 0 in \d+ ms; stdout "z{2048}"$/);
  });
});
