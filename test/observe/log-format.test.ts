// Logs: JSON lines by default; one readable, coloured line per entry when the
// output is a terminal (a real pty, from util-linux `script`) or LOG_FORMAT=pretty;
// LOG_FORMAT=json forces JSON; NO_COLOR drops the colours; secrets are masked
// whichever the format.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plain as plainText } from '../../src/commands/io.js';
import { logFormat } from '../../src/observe/log.js';
import { tempDir } from '../helpers/config.js';
import { spawnServer, waitForLog } from '../helpers/server.js';

const ROOT = resolve(__dirname, '../..');
const SECRET = 'log-format-secret-not-real';
const ESC = '\x1b[';
const SCRIPT = '/usr/bin/script';

/** A program that logs two lines through the real logger (dist/), one quoting a secret. */
function program(): string {
  const file = join(tempDir(), 'log.mjs');
  writeFileSync(
    file,
    `import { createLogger } from ${JSON.stringify(join(ROOT, 'dist/observe/log.js'))};
const log = createLogger(process.env, undefined, () => [${JSON.stringify(SECRET)}]);
log.info({ route: 'r1', status: 200 }, 'delivered');
log.warn({ err: 'target said ${SECRET}' }, 'retrying');
`,
  );
  return file;
}

function piped(env: Record<string, string>) {
  const r = spawnSync(process.execPath, [program()], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
  return r.stdout;
}

/** Runs it with stdout and stderr on a pseudo-terminal. */
function inTerminal(env: Record<string, string>) {
  const r = spawnSync(SCRIPT, ['-qec', `${process.execPath} ${program()}`, '/dev/null'], { env: { PATH: process.env.PATH ?? '', TERM: 'xterm', ...env }, encoding: 'utf8' });
  return r.stdout.replace(/\r/g, '');
}

describe('log format', () => {
  it('is chosen from LOG_FORMAT, else by whether the output is a terminal', () => {
    expect(logFormat({}, { isTTY: false })).toBe('json');
    expect(logFormat({}, { isTTY: true })).toBe('pretty');
    expect(logFormat({ TERM: 'dumb' }, { isTTY: true })).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'json' }, { isTTY: true })).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'Pretty' }, { isTTY: false })).toBe('pretty');
    expect(logFormat({ LOG_FORMAT: 'xml' }, { isTTY: false })).toEqual({ error: expect.stringContaining('LOG_FORMAT must be json or pretty') });
  });

  it('piped: JSON lines, secrets masked', () => {
    const lines = piped({}).trim().split('\n');
    expect(lines).toHaveLength(2);
    const [a, b] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(a).toMatchObject({ level: 30, msg: 'delivered', route: 'r1', status: 200 });
    expect(b!.err).toBe('target said ***');
  });

  it('piped with LOG_FORMAT=pretty: readable lines without colour codes (not a terminal)', () => {
    const out = piped({ LOG_FORMAT: 'pretty' });
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: delivered \{"route":"r1","status":200\}$/m);
    expect(out).toMatch(/WARN: retrying\s+err: "target said \*\*\*"/);
    expect(out).not.toContain(ESC);
    expect(out).not.toContain(SECRET);
  });

  const pty = existsSync(SCRIPT);
  if (!pty) console.warn(`skipping the terminal log tests: no ${SCRIPT} (util-linux) to make a pty`);
  it.skipIf(!pty)('in a terminal: readable and coloured; NO_COLOR: readable without colour; LOG_FORMAT=json: JSON', () => {
    const coloured = inTerminal({});
    expect(coloured).toContain(ESC);
    expect(plainText(coloured)).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: delivered/m);
    expect(coloured).not.toContain(SECRET);
    const plain = inTerminal({ NO_COLOR: '1' });
    expect(plain).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: delivered/m);
    expect(plain).not.toContain(ESC);
    const json = inTerminal({ LOG_FORMAT: 'json' }).trim().split('\n');
    expect(JSON.parse(json[0]!)).toMatchObject({ msg: 'delivered' });
  });

  it('serve: a LOG_FORMAT it does not know is a warning, not a crash (it was logged before the server existed)', async () => {
    const server = await spawnServer(
      'version: 1\nsources:\n  open: { verify: { scheme: none } }\ntargets:\n  t: { url: "http://127.0.0.1:9/x" }\nroutes:\n  - { name: r, source: open, target: t }\n',
      { LOG_FORMAT: 'fancy' },
    );
    try {
      const w = await waitForLog(server, (l) => l.setting === 'LOG_FORMAT');
      expect(w.msg).toBe('LOG_FORMAT must be json or pretty, not "fancy": writing JSON');
    } finally {
      server.proc.kill('SIGKILL');
      await server.exit;
    }
  });
});
