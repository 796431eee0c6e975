#!/usr/bin/env node
// npm run bench [-- --quick]: Switchboard against a bare Hono baseline started by
// this same script on this same machine, so the figures that matter are ratios.
// Loopback only; every run is bounded in time. Results: printed, and written to
// bench/results/<date>.md.
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { CONNECTIONS, PAYLOAD, PG_URL, QUICK, ROOT, RUNS, SECONDS, SIGNATURE, cannon, children, config, peakRss, start, startSwitchboard, stop, work } from './common.mjs';

const median = (xs) => {
  const s = xs.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : null;
};
const sinkStats = async (sink) => (await fetch(`${sink.url}/stats`)).json();
const sinkReset = async (sink) => fetch(`${sink.url}/reset`, { method: 'POST' });
async function queueDepth(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^switchboard_queue_depth (\d+)/m.exec(text)?.[1] ?? NaN);
}
async function waitDrained(url, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if ((await queueDepth(url)) === 0) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

const rows = [];
const log = (...a) => console.error(...a);

async function baseline() {
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const b = await start(process.execPath, [join(ROOT, 'bench/baseline.mjs')], { PORT: '0' });
    runs.push({ ...(await cannon(b.url)), rss: peakRss(b.child.pid) });
    await stop(b);
  }
  const r = pick(runs);
  rows.push({ scenario: 'baseline: bare Hono, read body, 200', ...r });
  return r.rps;
}

function pick(runs) {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    rss: Math.max(...runs.map((r) => r.rss ?? 0)) || null,
    failed: runs.reduce((t, r) => t + (r.non2xx ?? 0) + (r.errors ?? 0), 0),
    ...Object.fromEntries(
      Object.keys(runs[0])
        .filter((k) => !['rps', 'p50', 'p99', 'rss', 'non2xx', 'errors', 'total', 'acked'].includes(k))
        .map((k) => [k, median(runs.map((r) => r[k]))]),
    ),
  };
}

/** Ingest with the worker delivering to the sink: req/s at ingest, and delivered/s, backlog, ack→delivered at the sink. */
async function endToEnd(label, store, sink, opts = {}) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const storeUrl = typeof store === 'function' ? await store() : store.replace('{run}', `${label.replace(/\W+/g, '-')}-${i}`);
    const s = await startSwitchboard(config({ sink: sink.url, store: storeUrl, ...opts }), `${label.replace(/\W+/g, '-')}-${i}`);
    await sinkReset(sink);
    const t0 = Date.now();
    const r = await cannon(s.url);
    const elapsed = (Date.now() - t0) / 1000;
    const deliveredDuring = (await sinkStats(sink)).count;
    const backlog = await queueDepth(s.url);
    await waitDrained(s.url);
    const stats = await sinkStats(sink);
    const expectDeliveries = opts.matching !== false;
    runs.push({
      ...r,
      rss: peakRss(s.child.pid),
      ...(expectDeliveries ? { delivered: deliveredDuring / elapsed, backlog, e2eP50: stats.p50, e2eP99: stats.p99, lost: Math.max(0, r.acked - stats.count) } : {}),
    });
    await stop(s);
  }
  return pick(runs);
}

async function idleLatency(sink) {
  const s = await startSwitchboard(config({ sink: sink.url, store: `sqlite:${join(work, 'idle.db')}` }), 'idle');
  await sinkReset(sink);
  const n = QUICK ? 30 : 100;
  for (let i = 0; i < n; i++) {
    await fetch(`${s.url}/hooks/github`, {
      method: 'POST',
      body: PAYLOAD,
      headers: { 'content-type': 'application/json', 'x-github-event': 'issue_comment', 'x-hub-signature-256': SIGNATURE, 'x-github-delivery': randomUUID() },
    });
    await new Promise((r) => setTimeout(r, 20));
  }
  await waitDrained(s.url);
  const stats = await sinkStats(sink);
  const rss = peakRss(s.child.pid);
  await stop(s);
  rows.push({ scenario: `idle: ${n} single requests, ack→delivered`, e2eP50: stats.p50, e2eP99: stats.p99, rss });
}

async function routes(sink, count) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const s = await startSwitchboard(config({ sink: sink.url, store: `sqlite:${join(work, `routes-${count}-${i}.db`)}`, routes: count, topicIndexed: true }), `routes-${count}-${i}`);
    let k = 0;
    runs.push({ ...(await cannon(s.url, { setup: () => ({ 'x-bench-topic': `t${k++ % count}` }) })), rss: peakRss(s.child.pid) });
    await stop(s);
  }
  return pick(runs);
}

async function reload(sink) {
  const s = await startSwitchboard(config({ sink: sink.url, store: `sqlite:${join(work, 'reload.db')}`, routes: 1000, topicIndexed: true }), 'reload');
  const file = join(s.dir, 'routes.yaml');
  // time of one reload of a 1,000-route file, through the admin API (load, validate, compile, swap)
  const times = [];
  for (let i = 0; i < 5; i++) {
    writeFileSync(file, `${config({ sink: sink.url, store: `sqlite:${join(work, 'reload.db')}`, routes: 1000, topicIndexed: true })}# ${i}\n`);
    const t0 = performance.now();
    const res = await fetch(`${s.url}/admin/reload`, { method: 'POST' });
    times.push(performance.now() - t0);
    if (!res.ok) throw new Error(`reload failed: ${await res.text()}`);
  }
  // 20 reloads while under load: count failed requests
  let k = 0;
  const load = cannon(s.url, { seconds: QUICK ? 4 : 8, setup: () => ({ 'x-bench-topic': `t${k++ % 1000}` }) });
  for (let i = 0; i < 20; i++) {
    writeFileSync(file, `${config({ sink: sink.url, store: `sqlite:${join(work, 'reload.db')}`, routes: 1000, topicIndexed: true })}# load ${i}\n`);
    await new Promise((r) => setTimeout(r, (QUICK ? 3000 : 7000) / 20));
  }
  const r = await load;
  rows.push({ scenario: 'reload: 1,000 routes (20 reloads under load)', reloadMs: median(times), rps: r.rps, p50: r.p50, p99: r.p99, failed: r.non2xx + r.errors, rss: peakRss(s.child.pid) });
  await stop(s);
}

async function postgresStore() {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (err) {
    log(`postgres: skipped (no PostgreSQL at ${PG_URL}: ${err.message})`);
    return undefined;
  }
  const schemas = [];
  const fresh = async () => {
    const schema = `sb_bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    schemas.push(schema);
    return `${PG_URL}?schema=${schema}`;
  };
  return {
    fresh,
    async cleanup() {
      for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      await client.end();
    },
  };
}

const fmt = (v, d = 0) => (v === null || v === undefined || Number.isNaN(v) ? '–' : Number(v).toFixed(d));

async function main() {
  const t0 = Date.now();
  log(`switchboard bench: ${RUNS} run(s) per scenario, ${SECONDS}s each, ${CONNECTIONS} connections, ${PAYLOAD.length}-byte signed GitHub issue_comment`);
  const sink = await start(process.execPath, [join(ROOT, 'bench/sink.mjs')]);
  try {
    log('baseline…');
    const base = await baseline();
    log('ingest, no matching route…');
    rows.push({ scenario: 'ingest: verify + commit, no matching route', ...(await endToEnd('ingest-none', `sqlite:${join(work, '{run}.db')}`, sink, { matching: false })) });
    log('ingest + delivery to the sink…');
    rows.push({ scenario: 'end-to-end: 1 route, delivered to a sink', ...(await endToEnd('e2e', `sqlite:${join(work, '{run}.db')}`, sink)) });
    log('idle latency…');
    await idleLatency(sink);
    log('10 routes…');
    rows.push({ scenario: 'routes: 10 on one source', ...(await routes(sink, 10)) });
    log('10,000 routes…');
    rows.push({ scenario: 'routes: 10,000 on one source', ...(await routes(sink, 10_000)) });
    log('reload…');
    await reload(sink);
    const pgs = await postgresStore();
    if (pgs) {
      log('postgres end-to-end…');
      rows.push({ scenario: 'postgres: end-to-end, 1 route', ...(await endToEnd('pg', pgs.fresh, sink)) });
      await pgs.cleanup();
    }
    const header = '| scenario | req/s | × baseline | p50 ms | p99 ms | delivered/s | backlog | ack→delivered p50/p99 ms | reload ms | failed | lost | peak RSS MB |';
    const lines = [header, '|---|---|---|---|---|---|---|---|---|---|---|---|'];
    for (const r of rows) {
      lines.push(
        `| ${r.scenario} | ${fmt(r.rps)} | ${r.rps ? fmt(r.rps / base, 2) : '–'} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.delivered !== undefined ? `${fmt(r.delivered)} (${fmt(r.delivered / base, 2)}×)` : '–'} | ${fmt(r.backlog)} | ${r.e2eP50 !== undefined ? `${fmt(r.e2eP50)} / ${fmt(r.e2eP99)}` : '–'} | ${fmt(r.reloadMs)} | ${fmt(r.failed)} | ${fmt(r.lost)} | ${fmt(r.rss)} |`,
      );
    }
    const date = new Date().toISOString();
    const text = [
      `# Switchboard benchmark, ${date}`,
      '',
      `Machine: ${process.platform}, Node ${process.version}, ${(await import('node:os')).cpus().length} cores. ${RUNS} run(s) per scenario (median), ${SECONDS}s each, ${CONNECTIONS} connections.${QUICK ? ' (--quick)' : ''}`,
      '',
      ...lines,
      '',
      `Total time: ${Math.round((Date.now() - t0) / 1000)} s.`,
      '',
    ].join('\n');
    console.log(text);
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results', `${date.slice(0, 10)}${QUICK ? '-quick' : ''}.md`), text);
  } finally {
    await stop(sink);
    for (const c of children) c.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
});
