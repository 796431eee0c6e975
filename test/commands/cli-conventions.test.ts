// The CLI behaves like the tools people know, through the real binary: a usage
// per command, options checked per command with did-you-mean, exit codes
// 0/1/2/3, `test` failing without cases, colour per stream, --json and
// --format github, `init` writing a starter that validates and passes, `schema`,
// and `.env` read for ${NAME} with the environment winning.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { colorFor, plain } from '../../src/commands/io.js';
import { tempDir } from '../helpers/config.js';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/switchboard.js');
const EXAMPLE = join(ROOT, 'routes.example.yaml');
const ESC = '\x1b[';

function run(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: { PATH: process.env.PATH ?? '', ...opts.env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const COMMANDS = ['init', 'validate', 'test', 'try', 'serve', 'sink', 'send', 'schemes', 'schema', 'events', 'replay', 'diff'];

describe('usage', () => {
  it('every command answers --help with its own usage, options, an example and exit codes, on stdout, exit 0', () => {
    for (const c of COMMANDS) {
      const r = run([c, '--help']);
      expect(r.code, c).toBe(0);
      expect(r.out, c).toMatch(new RegExp(`^Usage: switchboard ${c}\\b`));
      expect(r.out, c).toMatch(/\nOptions:\n/);
      expect(r.out, c).toMatch(/\nExamples?:\n {2}switchboard /);
      expect(r.out, c).toMatch(/\nExit codes:\n {2}0 {2}success\n/);
      expect(r.out, c).toContain('  2  bad usage');
    }
    expect(run(['validate', '--help']).out).toContain('--format <text|github>');
    expect(run(['diff', '--help']).out).toMatch(/ {2}1 {2}something would change\n {2}2 {2}.*\n {2}3 {2}the server could not be reached/);
    expect(run(['help', 'try']).out).toMatch(/^Usage: switchboard try <source> <payload-file>/);
  });

  it('the global usage lists every command and the exit codes; no command is exit 2', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.out).toMatch(new RegExp(`\\n {2}${c} +\\S`));
    expect(r.out).toContain('Exit codes: 0 success, 1 ');
    expect(r.out).toContain('3 a server could not be reached');
    expect(run([]).code).toBe(2);
  });

  it('an unknown command or option is exit 2 naming it, with a did-you-mean; an option of another command says whose it is', () => {
    let r = run(['valdate']);
    expect([r.code, r.err.split('\n')[0]]).toEqual([2, 'switchboard: unknown command "valdate"; did you mean "validate"?']);
    r = run(['validate', '--jsn']);
    expect([r.code, r.err.split('\n')[0]]).toEqual([2, 'switchboard validate: unknown option --jsn; did you mean --json?']);
    r = run(['validate', '--port', '5']);
    expect([r.code, r.err.split('\n')[0]]).toEqual([2, 'switchboard validate: --port is not an option of validate (it is for sink)']);
    expect(r.err).toContain('Run switchboard validate --help for its usage.');
    r = run(['events', '--dry-run']);
    expect(r.err.split('\n')[0]).toBe('switchboard events: --dry-run is not an option of events (it is for replay)');
    r = run(['try', 'github']);
    expect([r.code, r.err.split('\n')[0]]).toEqual([2, 'switchboard try: missing argument: expected switchboard try <source> <payload-file>']);
    r = run(['validate', 'extra']);
    expect([r.code, r.err.split('\n')[0]]).toEqual([2, 'switchboard validate: unexpected argument "extra": expected switchboard validate']);
    r = run(['validate', '-c']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--config/);
    r = run(['validate', '--format', 'gitlab', '-c', EXAMPLE]);
    expect([r.code, r.err.split('\n')[0]]).toEqual([2, 'switchboard validate: --format must be text or github, not "gitlab"']);
    r = run(['events', 'export', 'evt_x', '--as-test', '--status', 'dead']);
    expect([r.code, r.err.split('\n')[0]]).toEqual([2, 'switchboard events: --status is not an option of events export']);
  });

  it('help for no such command is exit 2; options before the command keep their values; an option given twice is refused', () => {
    let r = run(['help', 'bogus']);
    expect([r.code, r.err.trim()]).toEqual([2, 'switchboard: no command "bogus"']);
    r = run(['--url', 'http://127.0.0.1:9', 'events', '-c', EXAMPLE]);
    expect(r.code).toBe(3); // not "unknown command http://…"
    r = run(['validate', '-c', EXAMPLE, '-c', EXAMPLE]);
    expect([r.code, r.err.split('\n')[0]]).toEqual([2, 'switchboard validate: --config is given more than once']);
    expect(run(['try', 'github', 'fixtures/github/issues.opened.json', '-H', 'A: 1', '-H', 'B: 2', '-c', EXAMPLE]).code).toBe(0);
  });

  it('a server that cannot be reached is exit 3 (events, replay, send, diff)', () => {
    const url = ['--url', 'http://127.0.0.1:9'];
    for (const args of [['events'], ['replay', 'evt_x'], ['replay', '--status', 'dead'], ['send', 'github', 'fixtures/github/issues.opened.json'], ['diff']]) {
      const r = run([...args, '-c', EXAMPLE, ...url]);
      expect(r.code, args.join(' ')).toBe(3);
      expect(r.err, args.join(' ')).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/);
    }
  });
});

describe('test', () => {
  it('a config without tests: cases fails (a CI gate must not pass vacuously) unless --pass-with-no-tests', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'routes.yaml'),
      'version: 1\nsources: { open: { verify: { scheme: none } } }\ntargets: { t: { url: "http://127.0.0.1:9/x" } }\nroutes: [{ name: r, source: open, target: t }]\n',
    );
    let r = run(['test'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.err).toContain('routes.yaml: no tests: add a tests: section');
    r = run(['test', '--pass-with-no-tests'], { cwd: dir });
    expect(r.code).toBe(0);
    r = run(['test', '--json'], { cwd: dir });
    expect([r.code, JSON.parse(r.out)]).toEqual([1, expect.objectContaining({ valid: true, noTests: true, passed: 0 })]);
  });

  it('--json: one document with every case', () => {
    const r = run(['test', '-c', EXAMPLE, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { passed: number; failed: number; cases: { name: string; ok: boolean; line: number }[] };
    expect(doc.failed).toBe(0);
    expect(doc.cases.length).toBe(doc.passed);
    expect(doc.cases[0]).toMatchObject({ name: 'member comment reaches slack', ok: true, line: expect.any(Number) });
  });
});

describe('validate and try output formats', () => {
  const broken = () => {
    const dir = tempDir();
    const file = join(dir, 'routes.yaml');
    writeFileSync(file, 'version: 1\nsources: { open: { verify: { scheme: none } } }\ntargets: { t: { url: "http://127.0.0.1:9/x" } }\nroutes:\n  - { name: r, source: open, target: tt }\n');
    return { dir, file };
  };

  it('--format github: ::error lines GitHub Actions annotates the YAML with, properties escaped', () => {
    const { dir } = broken();
    const r = run(['validate', '--format', 'github'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^::error file=routes\.yaml,line=5,col=\d+::.*unknown target "tt"; did you mean "t"\?$/m);
    expect(r.out).toMatch(/^::warning file=routes\.yaml,line=2,col=\d+::.*scheme: none/m);
    expect(run(['validate', '--format', 'github', '-c', EXAMPLE]).code).toBe(0);
  });

  it('--json: valid flag, errors with positions, counts', () => {
    const { dir } = broken();
    let r = run(['validate', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    let doc = JSON.parse(r.out) as { valid: boolean; errors: { line: number; col: number; message: string }[] };
    expect(doc.valid).toBe(false);
    expect(doc.errors[0]).toMatchObject({ line: 5, message: expect.stringContaining('unknown target "tt"') });
    r = run(['validate', '--json', '-c', EXAMPLE]);
    doc = JSON.parse(r.out);
    expect([r.code, doc]).toEqual([0, expect.objectContaining({ valid: true, counts: { sources: 6, targets: 5, routes: 7, tests: 10 } })]);
  });

  it('try --json: the verdict of every route and the exact requests, secrets masked', () => {
    const r = run(['try', 'github', 'fixtures/github/issue_comment.created.json', '-H', 'X-GitHub-Event: issue_comment', '-c', EXAMPLE, '--json']);
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out) as { sent: boolean; events: { topic: string; routes: { route: string; verdict: string; requests?: { method: string; url: string; body: string }[] }[] }[] };
    expect(doc.sent).toBe(false);
    expect(doc.events[0]!.topic).toBe('issue_comment.created');
    const slack = doc.events[0]!.routes.find((x) => x.route === 'member-comments-to-slack')!;
    expect(slack.verdict).toBe('send');
    expect(slack.requests![0]!.method).toBe('POST');
    expect(JSON.parse(slack.requests![0]!.body)).toEqual({ text: 'octocat on Spelling error in the README file: Hello' });
    expect(doc.events[0]!.routes.find((x) => x.route === 'new-issues-to-discord')!.verdict).toBe('topic-mismatch');
  });
});

describe('colour', () => {
  it('is decided per stream: a terminal gets it, a file or pipe does not; NO_COLOR and FORCE_COLOR win', () => {
    expect(colorFor({ isTTY: true }, {})).toBe(true);
    expect(colorFor({ isTTY: false }, {})).toBe(false);
    expect(colorFor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorFor({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(colorFor({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorFor({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
    expect(plain(`${ESC}31mred${ESC}0m plain`)).toBe('red plain');
  });

  it('through the binary: pipes get no escape codes; FORCE_COLOR gives them on both streams; NO_COLOR none', () => {
    const { dir } = (() => {
      const d = tempDir();
      writeFileSync(
        join(d, 'routes.yaml'),
        'version: 1\nsources: { open: { verify: { scheme: none } } }\ntargets: { t: { url: "http://127.0.0.1:9/x" } }\nroutes: [{ name: r, source: open, target: tt }]\n',
      );
      return { dir: d };
    })();
    let r = run(['validate'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.err).not.toContain(ESC);
    r = run(['validate'], { cwd: dir, env: { FORCE_COLOR: '1' } });
    expect(r.err).toContain(ESC);
    expect(run(['validate', '-c', EXAMPLE], { env: { FORCE_COLOR: '1' } }).out).toContain(ESC);
    r = run(['validate'], { cwd: dir, env: { NO_COLOR: '1', FORCE_COLOR: '' } });
    expect(r.err).not.toContain(ESC);
  });
});

describe('init and schema', () => {
  it('init writes a starter that validates and whose test passes; it never overwrites', () => {
    const parent = tempDir();
    let r = run(['init', 'hooks'], { cwd: parent });
    expect(r.code, r.err).toBe(0);
    const dir = join(parent, 'hooks');
    for (const f of ['routes.yaml', 'fixtures/github/issue_comment.created.json', '.env.example']) expect(existsSync(join(dir, f)), f).toBe(true);
    const text = readFileSync(join(dir, 'routes.yaml'), 'utf8');
    const modeline = /^# yaml-language-server: \$schema=(.+)$/m.exec(text)![1]!;
    // the modeline resolves, from the new file, to this installation's schema
    expect(readFileSync(resolve(dir, modeline), 'utf8')).toBe(readFileSync(join(ROOT, 'schemas/routes.schema.json'), 'utf8'));
    expect(run(['validate'], { cwd: dir }).code).toBe(0);
    r = run(['test'], { cwd: dir });
    expect([r.code, r.out]).toEqual([0, expect.stringContaining('1 passed, 0 failed')]);
    expect(readFileSync(join(dir, '.env.example'), 'utf8')).toMatch(/^GITHUB_WEBHOOK_SECRET=$/m);

    const before = readFileSync(join(dir, 'routes.yaml'), 'utf8');
    r = run(['init', 'hooks'], { cwd: parent });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not written: .*routes\.yaml.* already exist/);
    expect(readFileSync(join(dir, 'routes.yaml'), 'utf8')).toBe(before);
    // a directory with other files: refused unless --force, and still never over a file
    const other = join(parent, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'mine');
    expect(run(['init', 'other'], { cwd: parent }).code).toBe(1);
    expect(run(['init', 'other', '--force'], { cwd: parent }).code).toBe(0);
    expect(readFileSync(join(other, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('init refuses symbolic links in its way (a dangling one, a linked folder) and writes nothing', () => {
    const parent = tempDir();
    const a = join(parent, 'a');
    mkdirSync(a);
    symlinkSync('/nonexistent-switchboard-test', join(a, '.env.example'));
    let r = run(['init', 'a', '--force'], { cwd: parent });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not written: .*\.env\.example is a symbolic link/);
    expect(existsSync(join(a, 'routes.yaml'))).toBe(false);
    const b = join(parent, 'b');
    const elsewhere = join(parent, 'elsewhere');
    mkdirSync(b);
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(b, 'fixtures'));
    r = run(['init', 'b', '--force'], { cwd: parent });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not written: .*fixtures is a symbolic link/);
    expect(existsSync(join(b, 'routes.yaml'))).toBe(false);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('schema prints the JSON Schema with a stable $id, and --path where it is', () => {
    const r = run(['schema']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { $id: string }).$id).toBe('https://switchboard.dev/schemas/routes.schema.json');
    const path = run(['schema', '--path']).out.trim();
    expect(path).toBe(join(ROOT, 'schemas', 'routes.schema.json'));
  });
});

describe('.env', () => {
  it('is read for ${NAME}; the environment wins; serve and validate see it; names are noted at start-up, never values', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'routes.yaml'),
      'version: 1\nsources: { gh: { verify: { scheme: github, secret: "${HOOK_SECRET}" } } }\ntargets: { t: { url: "${TARGET_URL}" } }\nroutes: [{ name: r, source: gh, target: t }]\n',
    );
    // without .env: both are missing
    let r = run(['validate'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/HOOK_SECRET/);
    writeFileSync(join(dir, '.env'), '# local settings\nHOOK_SECRET=dotenv-secret-not-real\nTARGET_URL=http://127.0.0.1:9/from-dotenv\n');
    r = run(['validate', '--json'], { cwd: dir });
    expect(r.code, r.out + r.err).toBe(0);
    // the environment wins over .env
    r = run(['try', 'gh', join(ROOT, 'fixtures/github/issues.opened.json'), '-H', 'X-GitHub-Event: issues', '--json'], { cwd: dir, env: { TARGET_URL: 'http://127.0.0.2:9/from-env' } });
    expect(r.code, r.err).toBe(0);
    const req = (JSON.parse(r.out) as { events: { routes: { requests: { url: string }[] }[] }[] }).events[0]!.routes[0]!.requests[0]!;
    // (an interpolated value is masked past its origin: the origin says which one was used)
    expect(req.url).toBe('http://127.0.0.2:9/***');
    // serve notes the names it took from .env, and which the environment overrode
    r = run(['serve', '-c', 'missing.yaml'], { cwd: dir, env: { TARGET_URL: 'http://127.0.0.1:9/from-env' } });
    expect(r.err).toContain('switchboard: read .env: HOOK_SECRET; the environment already sets TARGET_URL (kept)');
    expect(r.err + r.out).not.toContain('dotenv-secret-not-real');
  });

  it('a .env that is not a regular file (a FIFO, a directory) is not read, and the command does not hang', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'routes.yaml'),
      'version: 1\nsources: { open: { verify: { scheme: none } } }\ntargets: { t: { url: "http://127.0.0.1:9/x" } }\nroutes: [{ name: r, source: open, target: t }]\n',
    );
    expect(spawnSync('mkfifo', [join(dir, '.env')]).status).toBe(0);
    const started = Date.now();
    const r = spawnSync(process.execPath, [BIN, 'validate'], { cwd: dir, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', timeout: 10_000 });
    expect(Date.now() - started).toBeLessThan(9000);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('.env is not a regular file: not read');
    const d2 = tempDir();
    writeFileSync(join(d2, 'routes.yaml'), readFileSync(join(dir, 'routes.yaml')));
    mkdirSync(join(d2, '.env'));
    expect(run(['validate'], { cwd: d2 }).err).toContain('.env is not a regular file: not read');
  });
});
