// What bench/run.mjs and bench/profile.mjs share: the signed payload, starting
// and stopping processes, the generated routes file, and the load generator.
import { spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const QUICK = process.argv.includes('--quick');
export const RUNS = QUICK ? 1 : 3;
export const SECONDS = QUICK ? 3 : 5;
export const CONNECTIONS = 50;
export const SECRET = 'bench-secret-not-real';
const BODY = readFileSync(join(ROOT, 'fixtures/github/issue_comment.created.json'));
// ~7 KB, as the issue asks: the fixture with a longer comment
export const PAYLOAD = Buffer.from(JSON.stringify({ ...JSON.parse(BODY.toString()), comment: { ...JSON.parse(BODY.toString()).comment, body: 'x'.repeat(2600) } }));
export const SIGNATURE = `sha256=${createHmac('sha256', SECRET).update(PAYLOAD).digest('hex')}`;
export const PG_URL = process.env.SWITCHBOARD_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
export const work = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
export const children = new Set();

export function start(cmd, args, env = {}) {
  const child = spawn(cmd, args, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
            return resolve({ child, port: j.port, url: `http://127.0.0.1:${j.port}` });
          }
        } catch {
          // not JSON, or not the line we want
        }
      }
    };
    child.stdout.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${cmd} ${args.join(' ')} exited (${code}): ${err}`)));
  });
}

export async function stop(p) {
  if (!p || p.child.exitCode !== null) return;
  const done = new Promise((r) => p.child.on('exit', r));
  p.child.kill('SIGTERM');
  await Promise.race([done, new Promise((r) => setTimeout(r, 15_000))]);
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

export function config({ routes = 1, matching = true, sink, store, topicIndexed = false }) {
  const lines = [
    'version: 1',
    `store: ${store}`,
    'server: { maxBodySize: 1mb }',
    'sources:',
    '  github:',
    `    verify: { scheme: github, secret: ${SECRET} }`,
    ...(topicIndexed ? ['    topic: $headers."x-bench-topic"'] : []),
    'targets:',
    `  sink: { url: "${sink}/slack", concurrency: 50 }`,
    'routes:',
  ];
  for (let i = 0; i < routes; i++) {
    const topics = topicIndexed ? `[t${i}]` : matching ? '[issue_comment.created]' : '[never.matches]';
    lines.push(`  - name: r${i}`, '    source: github', `    topics: ${topics}`);
    lines.push(`    transform: '{ "text": sender.login & " on " & issue.title & ": " & $substring(comment.body, 0, 40), "receivedAt": $receivedAt }'`);
    lines.push('    target: sink');
  }
  return `${lines.join('\n')}\n`;
}

/** `nodeFlags`: extra flags for the server's node (the profiler's, say). */
export async function startSwitchboard(cfg, name, nodeFlags = []) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'routes.yaml'), cfg);
  const p = await start(process.execPath, [...nodeFlags, join(ROOT, 'bin/switchboard.js'), 'serve', '-c', join(dir, 'routes.yaml')], { PORT: '0', LOG_LEVEL: 'info' });
  return { ...p, dir };
}

/** autocannon against the server: signed GitHub issue_comment, a fresh delivery id per request. */
export async function cannon(url, { seconds = SECONDS, headers = {}, setup } = {}) {
  const result = await autocannon({
    url: `${url}/hooks/github`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    body: PAYLOAD,
    headers: { 'content-type': 'application/json', 'x-github-event': 'issue_comment', 'x-hub-signature-256': SIGNATURE, ...headers },
    requests: [
      {
        setupRequest: (req) => {
          req.headers = { ...req.headers, 'x-github-delivery': randomUUID(), ...(setup ? setup() : {}) };
          return req;
        },
      },
    ],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    total: result.requests.total,
    acked: result['2xx'],
  };
}
