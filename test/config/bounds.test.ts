// Config loading is bounded: a file past the size limit is refused before it is
// read, the error list is capped (the first 100, then a count), and the error
// path is linear — a 20,000-error file took 16 s when lookups and the YAML
// library's duplicate-key check were quadratic.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkInThread, stopCheckThread } from '../../src/config/check-thread.js';
import { ConfigError, MAX_LISTED_ISSUES } from '../../src/config/issues.js';
import { DEFAULT_MAX_CONFIG_BYTES, loadConfig, loadConfigOrThrow } from '../../src/config/load.js';
import { load, MINIMAL, tempDir } from '../helpers/config.js';

afterAll(() => stopCheckThread());

/** MINIMAL with `n` unknown keys under `server:` (one error each), about 10 bytes a key. */
function unknownKeys(n: number): string {
  const lines = ['server:'];
  for (let i = 0; i < n; i++) lines.push(`  k${i}: 1`);
  return `${MINIMAL}${lines.join('\n')}\n`;
}
const FIRST_KEY_LINE = MINIMAL.split('\n').length + 1;

describe('the error list', () => {
  it('lists the first 100 errors of a 20,000-error file, by position, counts the rest, and takes well under the old 16 s', () => {
    const text = unknownKeys(20_000);
    const started = performance.now();
    const result = load(text);
    const ms = Math.round(performance.now() - started);
    console.log(`20,000 unknown keys (${Math.round(text.length / 1024)} KB): loaded in ${ms} ms`);
    expect(result.config).toBeUndefined();
    expect(result.errors).toHaveLength(MAX_LISTED_ISSUES);
    expect(result.omittedErrors).toBe(20_000 - MAX_LISTED_ISSUES);
    expect(result.errors[0]).toBe(`routes.yaml:${FIRST_KEY_LINE}:3: unknown key "k0" in server`);
    expect(result.errors[99]).toBe(`routes.yaml:${FIRST_KEY_LINE + 99}:3: unknown key "k99" in server`);
    // Generous: a shared, busy machine; the quadratic path took 16 s here.
    expect(ms).toBeLessThan(5000);
  });

  it('ConfigError prints the listed errors and a line counting the rest', () => {
    const dir = tempDir();
    const file = join(dir, 'routes.yaml');
    writeFileSync(file, unknownKeys(150));
    let err: unknown;
    try {
      loadConfigOrThrow(file, { env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const lines = (err as ConfigError).message.split('\n');
    expect(lines).toHaveLength(MAX_LISTED_ISSUES + 1);
    expect(lines[MAX_LISTED_ISSUES]).toBe(`${file}: … and 50 more errors (only the first 100 are listed; fix these and run again)`);
  });

  it("many duplicate keys are each reported where they repeat, without the library's quadratic check", () => {
    const lines = ['server:', '  port: 1'];
    for (let i = 0; i < 5000; i++) lines.push('  port: 2');
    const started = performance.now();
    const result = load(`${MINIMAL}${lines.join('\n')}\n`);
    console.log(`5,000 duplicate keys: loaded in ${Math.round(performance.now() - started)} ms`);
    expect(result.errors[0]).toBe(`routes.yaml:${FIRST_KEY_LINE + 1}:3: Map keys must be unique`);
    expect(result.omittedErrors).toBe(5000 - MAX_LISTED_ISSUES);
  });

  it('many unset variables in one long value are positioned one after another', () => {
    const refs = Array.from({ length: 3000 }, (_, i) => `\${NOPE_${i}}`);
    const result = load(`${MINIMAL}retention: "${refs.join(' ')}"\n`);
    const unset = result.errors.filter((e) => e.includes('is not set'));
    expect(unset[0]).toBe(`routes.yaml:${FIRST_KEY_LINE - 1}:13: environment variable NOPE_0 is not set (set it, or give a default with \${NOPE_0:-value})`);
    expect(unset[1]).toBe(`routes.yaml:${FIRST_KEY_LINE - 1}:${13 + refs[0]!.length + 1}: environment variable NOPE_1 is not set (set it, or give a default with \${NOPE_1:-value})`);
    expect(result.omittedErrors).toBeGreaterThan(2800);
  });
});

describe('the size limit', () => {
  it(`refuses a file over ${DEFAULT_MAX_CONFIG_BYTES} bytes before reading it, naming its size and the limit`, () => {
    const dir = tempDir();
    const file = join(dir, 'routes.yaml');
    writeFileSync(file, `${MINIMAL}# ${'x'.repeat(5 * 1024 * 1024)}\n`);
    const result = loadConfig(file, { env: {} });
    expect(result.config).toBeUndefined();
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]!.message).toMatch(/^config file is too large: 5 MB \(\d+ bytes\), over the 1 MB \(1048576 bytes\) limit \(split it, or raise the limit with SWITCHBOARD_MAX_CONFIG_SIZE/);
  });

  it('SWITCHBOARD_MAX_CONFIG_SIZE raises it, and a wrong value is an error that says so', () => {
    const dir = tempDir();
    const file = join(dir, 'routes.yaml');
    writeFileSync(file, `${MINIMAL}# ${'x'.repeat(1024 * 1024)}\n`);
    expect(loadConfig(file, { env: {} }).config).toBeUndefined();
    expect(loadConfig(file, { env: { SWITCHBOARD_MAX_CONFIG_SIZE: '2mb' } }).config).toBeDefined();
    expect(loadConfig(file, { env: { SWITCHBOARD_MAX_CONFIG_SIZE: 'lots' } }).issues[0]!.message).toBe('SWITCHBOARD_MAX_CONFIG_SIZE="lots" is not a size (expected something like 2mb)');
  });

  it('reads a config from a pipe (-c <(…), /dev/stdin) to its end, and stops one byte past the limit of one that goes on', async () => {
    const dir = tempDir();
    const write = async (text: string) => {
      const fifo = join(dir, `pipe-${Math.random().toString(36).slice(2)}`);
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      const src = join(dir, 'src.yaml');
      writeFileSync(src, text);
      // Another process writes the pipe; the load blocks on it until then, as with a shell's <(…).
      const writer = spawn('sh', ['-c', `cat "${src}" > "${fifo}"`], { stdio: 'ignore' });
      const result = loadConfig(fifo, { env: { SWITCHBOARD_MAX_CONFIG_SIZE: '64kb' } });
      writer.kill();
      await new Promise((r) => writer.once('close', r));
      return result;
    };
    expect((await write(MINIMAL)).config).toBeDefined();
    const over = await write(`${MINIMAL}# ${'x'.repeat(200 * 1024)}\n`);
    expect(over.config).toBeUndefined();
    expect(over.issues[0]!.message).toMatch(/^config file is too large: 64 KB \(65537 bytes\), over the 64 KB \(65536 bytes\) limit/);
  });

  it('a directory given as the config is named as one', () => {
    const dir = join(tempDir(), 'routes.yaml');
    mkdirSync(dir);
    expect(loadConfig(dir, { env: {} }).issues[0]!.message).toBe('cannot read config file (it is a directory)');
  });

  it('applies to text handed in already read (what the watcher passes on)', () => {
    const result = load(`${MINIMAL}# ${'é'.repeat(600 * 1024)}\n`);
    expect(result.errors[0]).toMatch(/^routes\.yaml:1:1: config file is too large: 1\.2 MB/);
  });
});

describe('the check thread', () => {
  it('answers with the capped errors of a broken file, and with the exact text of a valid one', async () => {
    const dir = tempDir();
    const file = join(dir, 'routes.yaml');
    writeFileSync(file, unknownKeys(20_000));
    const bad = await checkInThread(file, { env: {} });
    expect(bad.kind).toBe('invalid');
    if (bad.kind !== 'invalid') return;
    console.log(`20,000 unknown keys checked in the thread in ${bad.ms} ms`);
    expect(bad.issues).toHaveLength(MAX_LISTED_ISSUES);
    expect(bad.omittedErrors).toBe(20_000 - MAX_LISTED_ISSUES);

    const good = await checkInThread(file, { env: {}, text: MINIMAL });
    expect(good).toMatchObject({ kind: 'ok', text: MINIMAL });
  });

  it('reports a check that runs out of time as failed, and the next check gets a fresh thread', async () => {
    const slow = await checkInThread('routes.yaml', { env: {}, text: unknownKeys(20_000), timeoutMs: 1 });
    expect(slow).toMatchObject({ kind: 'failed', reason: 'checking took longer than 0 s' });
    expect((await checkInThread('routes.yaml', { env: {}, text: MINIMAL })).kind).toBe('ok');
  });
});
