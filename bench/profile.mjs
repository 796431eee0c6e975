#!/usr/bin/env node
// npm run bench:profile [-- ingest|e2e|pg|threads|open] (threads: e2e with server.workers: 2, the server on every CPU;
// open: e2e under the open loop's 500 requests/s for 10 s): a CPU profile of the server under the
// benchmark's load (bench/load.mjs: 50 connections, 5 s, loopback; the server and
// the generator pinned to separate cores as in `npm run bench`), summarised as the
// functions with the most self time. The raw .cpuprofile is kept for Chrome's
// DevTools; its path is printed.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PG_URL, children, config, pinSelf, runLoad, start, startSwitchboard, stop, work } from './common.mjs';

const scenario = process.argv.slice(2).find((a) => !a.startsWith('-')) ?? 'ingest';
if (!['ingest', 'e2e', 'pg', 'threads', 'open'].includes(scenario)) {
  console.error(`unknown scenario "${scenario}": use ingest, e2e, pg, threads or open`);
  process.exit(2);
}

/** Self time per function (name, file:line) from a V8 .cpuprofile, in percent of all samples. */
function summarise(profile, top = 25) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  for (const [id, n] of counts) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const file = url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*\/(dist|src)\//, '$1/');
    const key = `${functionName || '(anonymous)'}  ${file ? `${file}:${lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + n);
  }
  const total = profile.samples.length;
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, n]) => `${((100 * n) / total).toFixed(1).padStart(5)} %  ${k}`);
}

async function main() {
  console.error(pinSelf());
  const sink = await start(process.execPath, [join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'sink.mjs')], {}, 'inherit');
  const dir = join(work, 'profile');
  const store = scenario === 'pg' ? `${PG_URL}?schema=sb_profile_${Date.now()}` : `sqlite:${join(work, 'profile.db')}`;
  try {
    const threads = scenario === 'threads';
    const s = await startSwitchboard(config({ sink: sink.url, store, matching: scenario !== 'ingest', workers: threads ? 2 : 1 }), 'profile', {
      nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
      ...(threads ? { cpus: 'all' } : {}),
    });
    const load = scenario === 'open' ? { mode: 'open', rate: 500, seconds: 10 } : { mode: 'closed', seconds: 5 };
    const r = await runLoad({ urls: [s.url], ...load, record: false });
    console.log(`${scenario}: ${Math.round(r.acked / ((r.t1 - r.t0) / 1000))} req/s, p50 ${r.p50?.toFixed(1)} ms, p99 ${r.p99?.toFixed(1)} ms`);
    await new Promise((res) => setTimeout(res, 2000)); // let deliveries catch up a little
    await stop(s);
    // One file per thread: the main thread's first, then the delivery threads' (and the checkpointer's, nearly idle).
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort();
    for (const file of files) {
      const path = join(dir, file);
      const profile = JSON.parse(readFileSync(path, 'utf8'));
      if (profile.samples.length < 50) continue;
      console.log(`\n${file} (${profile.samples.length} samples)`);
      console.log(summarise(profile).join('\n'));
      console.log(`profile: ${path} (open it in Chrome DevTools → Performance)`);
    }
  } finally {
    await stop(sink);
    for (const c of children) c.kill('SIGKILL');
  }
}

main().catch((err) => {
  console.error(err);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
});
