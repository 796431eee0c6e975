// What bench/run.mjs and bench/profile.mjs share: the signed payload, CPU pinning,
// starting and stopping processes, /proc readings, the generated routes file, and
// the load generator (bench/load.mjs, a process of its own on its own core).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SECRET } from './payload.mjs';

export { PAYLOAD_SIZE, SECRET, TOKEN_MARK, now, signedBody, tokenIn } from './payload.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const QUICK = process.argv.includes('--quick');
export const RUNS = QUICK ? 1 : 3;
export const SECONDS = QUICK ? 3 : 5;
export const CONNECTIONS = 50;
export const PG_URL = process.env.SWITCHBOARD_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
export const work = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
export const children = new Set();

// ---------------------------------------------------------------------------
// Pinning: the system under test on its own core(s), and the load generator, the
// sink and this script on the last allowed one.
function allowedCpus() {
  try {
    const list = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
    const cpus = [];
    for (const part of list.split(',')) {
      const [a, b] = part.split('-').map(Number);
      for (let c = a; c <= (b ?? a); c++) cpus.push(c);
    }
    return cpus.filter((c) => Number.isInteger(c));
  } catch {
    return [];
  }
}

function tasksetWorks() {
  try {
    execFileSync('taskset', ['-c', String(allowedCpus()[0] ?? 0), 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const pinning = (() => {
  const cpus = allowedCpus();
  if (cpus.length < 2) return { on: false, why: `only ${cpus.length || 'an unknown number of'} CPU(s) allowed`, all: cpus.join(',') };
  if (!tasksetWorks()) return { on: false, why: 'taskset is not installed or not permitted', all: cpus.join(',') };
  return { on: true, server: cpus.slice(0, -1).join(','), generator: String(cpus.at(-1)), all: cpus.join(',') };
})();

/** Pins this script (all its threads) to the generator's core; its children inherit it unless spawned pinned elsewhere. */
export function pinSelf() {
  if (!pinning.on) return `pinning: not done (${pinning.why}); figures are less stable`;
  execFileSync('taskset', ['-a', '-p', '-c', pinning.generator, String(process.pid)], { stdio: 'ignore' });
  return `pinning (taskset): the server on CPU ${pinning.server}; the load generator, the sink and this script on CPU ${pinning.generator}`;
}

/** `cpus`: 'server' (the default), 'generator', 'all', or 'inherit'. */
function command(cmd, args, cpus) {
  if (!pinning.on || cpus === 'inherit') return [cmd, args];
  return ['taskset', ['-c', pinning[cpus], cmd, ...args]];
}

// ---------------------------------------------------------------------------
// Processes

/** Starts a process that prints `{"port": n}` on a line of its stdout when it listens. */
export function start(cmd, args, env = {}, cpus = 'server') {
  const [c, a] = command(cmd, args, cpus);
  const child = spawn(c, a, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d) => {
      buf += d;
      for (const line of buf.split('\n')) {
        try {
          const j = JSON.parse(line);
          if (typeof j.port === 'number') {
            child.stdout.off('data', onData);
            child.stdout.resume(); // drain logs from here on
            return resolve({ child, pid: child.pid, port: j.port, url: `http://127.0.0.1:${j.port}` });
          }
        } catch {
          // not JSON, or not the line we want
        }
      }
    };
    child.stdout.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${cmd} ${args.join(' ')} exited (${code}): ${err.slice(0, 2000)}`)));
  });
}

export async function stop(p) {
  if (!p || p.child.exitCode !== null) return;
  const done = new Promise((r) => p.child.on('exit', r));
  p.child.kill('SIGTERM');
  await Promise.race([done, new Promise((r) => setTimeout(r, 15_000))]);
  if (p.child.exitCode === null) p.child.kill('SIGKILL');
}

/** Peak resident memory of a process (VmHWM), in MB. */
export function peakRss(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

let clockTicks = 100;
try {
  clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // 100 on every Linux we know of
}

/** CPU time of a process and all its threads (utime + stime from /proc/<pid>/stat), in µs; null when unreadable. */
export function cpuMicros(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces: count fields after its closing parenthesis
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // fields 14 and 15 of the whole line
    return (ticks * 1e6) / clockTicks;
  } catch {
    return null;
  }
}

/**
 * Busy time of the given CPUs (a taskset list such as "0" or "0-2,4"; all when
 * empty) from /proc/stat, in µs: everything but idle and iowait, whoever ran.
 * Less the server's own CPU time, it tells how much else ran on the server's core.
 */
export function cpuBusyMicros(list = '') {
  const want = new Set();
  for (const part of list.split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    for (let c = a; c <= (b ?? a); c++) want.add(c);
  }
  try {
    let ticks = 0;
    for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
      const m = /^cpu(\d+) (.*)$/.exec(line);
      if (!m || (want.size && !want.has(Number(m[1])))) continue;
      const f = m[2].trim().split(/\s+/).map(Number);
      ticks += f.slice(0, 8).reduce((t, x) => t + x, 0) - f[3] - f[4]; // user … steal, less idle and iowait
    }
    return (ticks * 1e6) / clockTicks;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------
// The config: the README's route (its filter and its Slack transform) to the sink.

export function config({ routes = 1, matching = true, sink, store, topicIndexed = false, workers }) {
  const lines = [
    'version: 1',
    `store: ${store}`,
    `server: { maxBodySize: 1mb${workers !== undefined ? `, workers: ${workers}` : ''} }`,
    'sources:',
    '  github:',
    `    verify: { scheme: github, secret: ${SECRET} }`,
    ...(topicIndexed ? ['    topic: $headers."x-bench-topic"'] : []),
    'targets:',
    `  slack: { url: "${sink}/slack", concurrency: 50 }`,
    'routes:',
  ];
  for (let i = 0; i < routes; i++) {
    const topics = topicIndexed ? `[t${i}]` : matching ? '[issue_comment.created]' : '[never.matches]';
    lines.push(`  - name: r${i}`, '    source: github', `    topics: ${topics}`);
    lines.push('    filter: comment.author_association = "MEMBER"');
    lines.push(`    transform: '{ "text": sender.login & " on " & issue.title & ": " & comment.body }'`);
    lines.push('    target: slack');
  }
  return `${lines.join('\n')}\n`;
}

/** `nodeFlags`: extra flags for the server's node (the profiler's, say); `cpus`: see start(). */
export async function startSwitchboard(cfg, name, { nodeFlags = [], cpus = 'server' } = {}) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'routes.yaml'), cfg);
  // the 10,000-route file is over the default 1 MB limit
  const env = { PORT: '0', LOG_LEVEL: 'info', SWITCHBOARD_MAX_CONFIG_SIZE: '16mb' };
  const p = await start(process.execPath, [...nodeFlags, join(ROOT, 'bin/switchboard.js'), 'serve', '-c', join(dir, 'routes.yaml')], env, cpus);
  return { ...p, dir };
}

/** Whether `switchboard validate` accepts a config (for settings that may not exist yet). */
export function validates(cfg, name) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'routes.yaml'), cfg);
  try {
    execFileSync(process.execPath, [join(ROOT, 'bin/switchboard.js'), 'validate', '-c', join(dir, 'routes.yaml')], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs bench/load.mjs on the generator's core and returns its result:
 * { t0, t1, sent, acked, failed, p50, p99, cpuPercent, tokens?, ackTimes? }.
 * `urls`: the servers (connections are split between them); `mode`: 'closed'
 * (`connections` for `seconds`) or 'open' (`rate` per second for `seconds`);
 * `topics`: with n > 0, the header x-bench-topic cycles t0 … t(n-1);
 * `record`: keep each acknowledged token and its ack time.
 */
export async function runLoad(opts) {
  const out = join(work, `load-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  const [c, a] = command(process.execPath, [join(ROOT, 'bench/load.mjs')], 'generator');
  const child = spawn(c, a, { env: { PATH: process.env.PATH, BENCH_LOAD: JSON.stringify({ connections: CONNECTIONS, seconds: SECONDS, ...opts, out }) }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise((r) => child.on('exit', r));
  children.delete(child);
  if (code !== 0) throw new Error(`load generator failed (${code}): ${err.slice(0, 2000)}`);
  return JSON.parse(readFileSync(out, 'utf8'));
}
