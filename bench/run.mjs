#!/usr/bin/env node
// npm run bench [-- --quick]: Switchboard against a bare Hono baseline started by
// this same script on this same machine, so the figures that matter are ratios.
// The server runs on its own core, the load generator (bench/load.mjs), the sink
// and this script on the other (taskset). Loopback only; every run is bounded in
// count and time. Results: printed, and written to bench/results/<date>.md.
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  CONNECTIONS,
  PAYLOAD_SIZE,
  PG_URL,
  QUICK,
  ROOT,
  RUNS,
  SECONDS,
  children,
  config,
  cpuBusyMicros,
  cpuMicros,
  now,
  peakRss,
  pinSelf,
  pinning,
  runLoad,
  signedBody,
  start,
  startSwitchboard,
  stop,
  validates,
  work,
} from './common.mjs';

const OPEN_SECONDS = QUICK ? 4 : 20;
const OTHER_SECONDS = QUICK ? 2 : SECONDS; // the scenarios no goal is read from
const DRAIN_TIMEOUT_MS = QUICK ? 30_000 : 120_000;
const WORKERS_N = Math.max(2, cpus().length);
// --only=main,delivery,open,…: just those scenarios (the baseline always runs: every ratio needs it)
const ONLY = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const want = (key) => !ONLY || ONLY.includes(key);

const log = (...a) => console.error(...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = xs.filter((x) => x !== null && x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : null;
};
const pct = (xs, p) => {
  if (!xs.length) return null;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function sinkCount(sink) {
  return (await fetch(`${sink.url}/count`)).json();
}
async function queueDepth(url) {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Number(/^switchboard_queue_depth (\d+)/m.exec(text)?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/**
 * Waits until the sink has seen `expected` deliveries, or the servers' queues are
 * empty and nothing has arrived for 2 s (something was lost), or the timeout.
 * Polls the sink (not the server) so that waiting costs the server nothing.
 */
async function waitDelivered(sink, servers, expected) {
  const end = Date.now() + DRAIN_TIMEOUT_MS;
  let last = -1;
  let stillSince = Date.now();
  while (Date.now() < end) {
    const { keys } = await sinkCount(sink);
    if (keys >= expected) return true;
    if (keys !== last) {
      last = keys;
      stillSince = Date.now();
    } else if (Date.now() - stillSince > 2000) {
      const depths = await Promise.all(servers.map((s) => queueDepth(s.url)));
      if (depths.every((d) => d === 0)) return true;
      stillSince = Date.now();
    }
    await sleep(50);
  }
  return false;
}

/** The CPUs a scenario's server(s) may run on (a taskset list; '' when unpinned). */
function serverCpus(specs) {
  if (!pinning.on) return '';
  return specs?.some((s) => s.cpus === 'all') ? pinning.all : pinning.server;
}

/**
 * One run of a scenario: start the server(s), load them, wait for every delivery,
 * and read the figures. `servers`: [{ cfg, name, cpus }] (or `baseline: true`);
 * `load`: runLoad options; `deliveries`: whether each acknowledged request should
 * reach the sink once; `during`: run alongside the load (reloads).
 */
async function once(sink, { servers: specs, baseline = false, load, deliveries = true, before, during }) {
  const servers = baseline
    ? [await start(process.execPath, [join(ROOT, 'bench/baseline.mjs')], { PORT: '0' })]
    : await Promise.all(specs.map((s) => startSwitchboard(s.cfg, s.name, { cpus: s.cpus ?? 'server' })));
  try {
    const ahead = before ? await before(servers) : {};
    await fetch(`${sink.url}/reset`, { method: 'POST' });
    const cpuBefore = servers.map((s) => cpuMicros(s.pid));
    const coreBefore = cpuBusyMicros(serverCpus(specs));
    const [r, extra] = await Promise.all([runLoad({ urls: servers.map((s) => s.url), record: deliveries, ...load }), during ? during(servers) : undefined]);
    let complete = true;
    if (deliveries) complete = await waitDelivered(sink, servers, r.acked);
    const tDone = now();
    const cpuAfter = servers.map((s) => cpuMicros(s.pid));
    const coreBusy = cpuBusyMicros(serverCpus(specs)) - coreBefore;
    const rss = Math.max(...servers.map((s) => peakRss(s.pid) ?? 0)) || null;
    const cpuUs = cpuAfter.reduce((t, c, i) => t + (c ?? NaN) - (cpuBefore[i] ?? NaN), 0);
    const seconds = (r.t1 - r.t0) / 1000;
    // what else kept the server's core(s) busy over the window, in % of one core
    const others = (100 * (coreBusy - cpuUs)) / ((tDone - r.t0) * 1000);
    const out = { others, accepted: r.acked / seconds, p50: r.p50, p99: r.p99, failed: r.failed, genCpu: r.cpuPercent, rss, ...(r.timeline ? { timeline: r.timeline } : {}), ...ahead, ...extra };
    if (!deliveries) return { ...out, cpuPerEvent: cpuUs / r.acked, lost: null, dups: null };

    await sleep(250); // a late duplicate still counts
    const dump = await (await fetch(`${sink.url}/dump`)).json();
    const ackAt = new Map();
    for (let i = 0; i < r.tokens.length; i++) ackAt.set(r.tokens[i], r.ackTimes[i]);
    const seenKeys = new Set();
    const firstAt = new Map(); // token → first arrival
    let dups = 0;
    let unacked = 0;
    let duringLoad = 0;
    for (let i = 0; i < dump.keys.length; i++) {
      const key = dump.keys[i];
      const token = dump.tokens[i];
      const t = dump.times[i];
      if (seenKeys.has(key) || (token !== null && firstAt.has(token))) {
        dups++;
        continue;
      }
      seenKeys.add(key);
      if (token !== null) firstAt.set(token, t);
      if (token === null || !ackAt.has(token)) unacked++;
      if (t >= r.t0 && t <= r.t1) duringLoad++;
    }
    let lost = 0;
    let lastDelivery = r.t1;
    const ackToDelivered = [];
    for (const [token, a] of ackAt) {
      const t = firstAt.get(token);
      if (t === undefined) {
        lost++;
        continue;
      }
      ackToDelivered.push(t - a);
      if (t > lastDelivery) lastDelivery = t;
    }
    const delivered = firstAt.size;
    return {
      ...out,
      delivered: duringLoad / seconds,
      drain: complete ? (lastDelivery - r.t1) / 1000 : null,
      drainTimedOut: !complete,
      cpuPerEvent: cpuUs / delivered,
      e2eP50: pct(ackToDelivered, 50),
      e2eP99: pct(ackToDelivered, 99),
      lost,
      dups,
      unacked,
      window: (tDone - r.t0) / 1000,
    };
  } finally {
    await Promise.all(servers.map((s) => stop(s)));
  }
}

/**
 * Delivery alone, with no load: `count` events (the benchmark's request, each with
 * its own token) are written to the store before the server starts, and the server
 * delivers them. CPU per delivery is the server's CPU from listening until the sink
 * has them all, ÷ `count`: what the delivering side costs by itself, to set beside
 * the ingest scenario (what acknowledging costs by itself).
 */
async function deliveryOnly(sink, sqlite, count, runs = RUNS) {
  const { SqliteStore } = await import(join(ROOT, 'dist/store/sqlite.js'));
  const rs = [];
  for (let i = 0; i < runs; i++) {
    const store = sqlite(`delivery-${i}`);
    const queued = new SqliteStore(store);
    const events = [];
    for (let n = 0; n < count; n++) {
      const token = `q${i}-${n}-${randomUUID().slice(0, 8)}`;
      events.push({
        source: 'github',
        topic: 'issue_comment.created',
        deliveryId: token,
        receivedAt: Date.now(),
        headers: { 'content-type': 'application/json', 'x-github-event': 'issue_comment', 'x-github-delivery': token },
        body: Buffer.from(signedBody(token).body),
        contentType: 'application/json',
        routes: ['r0'],
        routing: { v: 'bench', unmatched: [] },
      });
    }
    for (let n = 0; n < count; n += 500) await queued.ingestMany(events.slice(n, n + 500));
    await queued.close();
    await fetch(`${sink.url}/reset`, { method: 'POST' });
    const s = await startSwitchboard(config({ sink: sink.url, store }), `delivery-${i}`);
    try {
      const c0 = cpuMicros(s.pid);
      const t0 = now();
      let seen = { arrivals: 0, keys: 0 };
      while (seen.keys < count && now() - t0 < DRAIN_TIMEOUT_MS) {
        await sleep(20);
        seen = await sinkCount(sink);
      }
      const seconds = (now() - t0) / 1000;
      await sleep(250); // a late duplicate still counts
      seen = await sinkCount(sink);
      rs.push({ cpu: (cpuMicros(s.pid) - c0) / seen.keys, rate: seen.keys / seconds, seconds, rss: peakRss(s.pid), lost: count - seen.keys, dups: seen.arrivals - seen.keys });
    } finally {
      await stop(s);
    }
  }
  const row = {
    scenario: `delivery only: ${count.toLocaleString('en-US')} events queued before start, no load, SQLite`,
    runs,
    accepted: undefined,
    p50: null,
    p99: null,
    delivered: median(rs.map((r) => r.rate)),
    drain: median(rs.map((r) => r.seconds)),
    drainTimedOut: rs.some((r) => r.lost > 0),
    cpuPerEvent: median(rs.map((r) => r.cpu)),
    e2eP50: null,
    e2eP99: null,
    rss: Math.max(...rs.map((r) => r.rss ?? 0)) || null,
    failed: null,
    lost: rs.reduce((t, r) => t + r.lost, 0),
    dups: rs.reduce((t, r) => t + r.dups, 0),
    unacked: 0,
    genCpu: null,
    others: null,
    reloadMs: null,
    deliveryOnly: true,
  };
  log(`  ${row.scenario}: ${fmt(row.delivered)} delivered/s, ${fmt(row.cpuPerEvent)} µs CPU/delivery, RSS ${fmt(row.rss)} MB`);
  return row;
}

/** `runs` runs of a scenario: medians of the rates, latencies and CPU; the worst RSS; lost, duplicates and failures summed. */
async function scenario(sink, name, spec, runs = RUNS) {
  const rs = [];
  for (let i = 0; i < runs; i++) rs.push(await once(sink, typeof spec === 'function' ? await spec(i) : spec));
  const med = (k) => median(rs.map((r) => r[k]));
  const sum = (k) => (rs.some((r) => r[k] !== null && r[k] !== undefined) ? rs.reduce((t, r) => t + (r[k] ?? 0), 0) : null);
  const row = {
    scenario: name,
    runs,
    accepted: med('accepted'),
    p50: med('p50'),
    p99: med('p99'),
    delivered: med('delivered'),
    drain: rs.some((r) => r.drainTimedOut) ? null : med('drain'),
    drainTimedOut: rs.some((r) => r.drainTimedOut),
    cpuPerEvent: med('cpuPerEvent'),
    e2eP50: med('e2eP50'),
    e2eP99: med('e2eP99'),
    rss: Math.max(...rs.map((r) => r.rss ?? 0)) || null,
    failed: sum('failed'),
    lost: sum('lost'),
    dups: sum('dups'),
    unacked: sum('unacked'),
    genCpu: med('genCpu'),
    others: med('others'),
    reloadMs: med('reloadMs'),
    ...(runs === 1 && rs[0].timeline ? { timeline: rs[0].timeline } : {}),
  };
  log(
    `  ${name}: ${fmt(row.accepted)} accepted/s, ${row.delivered !== null ? `${fmt(row.delivered)} delivered/s during the load, drain ${row.drainTimedOut ? 'timed out' : `${fmt(row.drain, 1)} s`}, ` : ''}${fmt(row.cpuPerEvent)} µs CPU/event, p99 ${fmt(row.p99)} ms, RSS ${fmt(row.rss)} MB`,
  );
  return row;
}

async function postgres() {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (err) {
    log(`postgres: skipped (no PostgreSQL at ${PG_URL.replace(/\/\/[^@/]*@/, '//…@')}: ${err.message})`);
    return undefined;
  }
  const schemas = [];
  return {
    fresh() {
      const schema = `sb_bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      schemas.push(schema);
      return `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
    },
    async cleanup() {
      for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      await client.end();
    },
  };
}

/** Before the load: the time of 5 reloads of a 1,000-route file through the admin API; during it: 20 rewrites of the file (the watcher reloads). */
function reloads(sink, store) {
  const body = config({ sink: sink.url, store, routes: 1000, topicIndexed: true });
  return {
    async before([s]) {
      const times = [];
      for (let i = 0; i < 5; i++) {
        writeFileSync(join(s.dir, 'routes.yaml'), `${body}# ${i}\n`);
        const t0 = performance.now();
        const res = await fetch(`${s.url}/admin/reload`, { method: 'POST' });
        times.push(performance.now() - t0);
        if (!res.ok) throw new Error(`reload failed: ${await res.text()}`);
      }
      return { reloadMs: median(times) };
    },
    async during([s]) {
      await sleep(300); // the generator's start
      for (let i = 0; i < 20; i++) {
        writeFileSync(join(s.dir, 'routes.yaml'), `${body}# load ${i}\n`);
        await sleep((OTHER_SECONDS * 1000) / 20);
      }
      return {};
    },
  };
}

const fmt = (v, d = 0) => (v === null || v === undefined || Number.isNaN(v) ? '–' : Number(v).toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
const pair = (a, b, d = 0) => (a === null && b === null ? '–' : `${fmt(a, d)} / ${fmt(b, d)}`);

async function main() {
  const t0 = Date.now();
  const notes = [
    pinSelf(),
    `load average at the start: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(', ')} (other work on this machine skews every figure; see the last column)`,
  ];
  log(notes.join('\n'));
  log(`switchboard bench: ${RUNS} run(s) per main scenario, ${SECONDS} s each, ${CONNECTIONS} connections, a ${PAYLOAD_SIZE}-byte signed GitHub issue_comment${QUICK ? ' (--quick)' : ''}`);
  const sink = await start(process.execPath, [join(ROOT, 'bench/sink.mjs')], {}, 'inherit');
  const sqlite = (name) => `sqlite:${join(work, `${name}-${randomUUID().slice(0, 8)}.db`)}`;
  const one = (name, opts = {}) => ({ servers: [{ name, cfg: config({ sink: sink.url, store: sqlite(name), ...opts }) }] });
  const rows = [];
  let base;
  let main;
  const pgs = want('postgres') ? await postgres() : undefined;
  try {
    log('baseline…');
    base = await scenario(sink, 'baseline: bare Hono, read body, 200', { baseline: true, deliveries: false, load: { mode: 'closed' } });
    rows.push(base);

    if (want('main')) {
      log('main: 50 connections, 1 route, SQLite…');
      main = await scenario(sink, 'main: 50 conn., 1 route (README Slack transform), SQLite', { ...one('main'), load: { mode: 'closed' } });
      rows.push(main);
    }

    if (want('ingest')) log('ingest only…');
    if (want('ingest'))
      rows.push(await scenario(sink, 'ingest: no matching route, SQLite', { ...one('ingest', { matching: false }), deliveries: false, load: { mode: 'closed', seconds: OTHER_SECONDS } }));

    if (want('delivery')) {
      log('delivery only…');
      rows.push(await deliveryOnly(sink, sqlite, QUICK ? 2000 : 5000));
    }

    for (const rate of want('open') ? [500, 2000] : []) {
      log(`open loop at ${rate}/s…`);
      const row = await scenario(
        sink,
        `open loop: ${rate.toLocaleString('en-US')}/s for ${OPEN_SECONDS} s, SQLite`,
        { ...one(`open-${rate}`), load: { mode: 'open', rate, seconds: OPEN_SECONDS } },
        1,
      );
      rows.push(row);
      // The server starts cold (V8 has compiled nothing yet) just before the load: a restart under a burst.
      if (row.timeline?.length > 1) {
        const [[, p50First, p99First], ...rest] = row.timeline;
        const p99s = rest.map(([, , p99]) => p99).filter((v) => v !== null);
        const worst = Math.max(...p99s);
        notes.push(
          `open loop ${rate.toLocaleString('en-US')}/s, by second of the load (a request counts in the second it was due; the server starts cold just before): ack p50 / p99 ${fmt(p50First, 1)} / ${fmt(p99First, 1)} ms in the first second; from the second on, p99 ${fmt(median(p99s), 1)} ms (median of the seconds), worst ${fmt(worst, 1)} ms (second ${rest.findIndex(([, , p99]) => p99 === worst) + 2}).`,
        );
      }
    }

    if (!want('cores')) {
      // skipped
    } else if (validates(config({ sink: sink.url, store: sqlite('check'), workers: 2 }), 'workers-check')) {
      notes.push(
        `cores: the server may use every allowed CPU (${pinning.all || 'unpinned'}) in both rows, sharing one with the load generator; on a 2-core machine this shows fairness (does delivery keep pace with acknowledging?), not scale.`,
      );
      for (const workers of [1, WORKERS_N]) {
        rows.push(
          await scenario(sink, `cores: workers: ${workers}, SQLite`, {
            servers: [{ name: `cores-${workers}`, cfg: config({ sink: sink.url, store: sqlite(`cores-${workers}`), workers }), cpus: 'all' }],
            load: { mode: 'closed' },
          }),
        );
      }
    } else {
      const msg = 'workers: not implemented yet (`switchboard validate` rejects `server: { workers: 2 }`); the cores scenario is skipped.';
      log(msg);
      notes.push(msg);
    }

    if (want('routes')) log('10,000 routes…');
    if (want('routes'))
      rows.push(
        await scenario(
          sink,
          'routes: 10,000 on one source (1 matches), SQLite',
          { ...one('routes-10000', { routes: 10_000, topicIndexed: true }), load: { mode: 'closed', seconds: OTHER_SECONDS, topics: 10_000 } },
          1,
        ),
      );

    if (want('reload')) {
      log('reload…');
      const store = sqlite('reload');
      rows.push(
        await scenario(
          sink,
          'reload: 1,000 routes, 20 rewrites under load, SQLite',
          {
            servers: [{ name: 'reload', cfg: config({ sink: sink.url, store, routes: 1000, topicIndexed: true }) }],
            load: { mode: 'closed', seconds: OTHER_SECONDS + 1, topics: 1000 },
            ...reloads(sink, store),
          },
          1,
        ),
      );
    }

    if (!want('postgres')) {
      // skipped
    } else if (pgs) {
      log('postgres, one process…');
      rows.push(await scenario(sink, 'postgres: 50 conn., 1 route, 1 process', () => ({ servers: [{ name: 'pg1', cfg: config({ sink: sink.url, store: pgs.fresh() }) }], load: { mode: 'closed' } })));
      log('postgres, two processes…');
      rows.push(
        await scenario(sink, 'postgres: 50 conn., 1 route, 2 processes sharing it', () => {
          const store = pgs.fresh();
          return {
            servers: [
              { name: 'pg2a', cfg: config({ sink: sink.url, store }) },
              { name: 'pg2b', cfg: config({ sink: sink.url, store }) },
            ],
            load: { mode: 'closed' },
          };
        }),
      );
      notes.push(
        'postgres: both processes of the 2-process row run on the server core(s), the load split evenly between them; CPU per event sums both; PostgreSQL itself is not pinned and its CPU is not counted.',
      );
    } else notes.push(`postgres: skipped (no PostgreSQL at ${PG_URL.replace(/\/\/[^@/]*@/, '//…@')})`);
  } finally {
    await pgs?.cleanup().catch(() => undefined);
    await stop(sink);
    for (const c of children) c.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }

  const baseCpu = base.cpuPerEvent;
  const header =
    '| scenario | accepted/s | × baseline | ack p50 / p99 ms | delivered/s during load | × accepted | drain s | CPU µs/event | × baseline CPU/req | ack→delivered p50 / p99 ms | peak RSS MB | failed | lost | dups | generator CPU % | others on server CPU % |';
  const lines = [header, `|${'---|'.repeat(16)}`];
  for (const r of rows) {
    const isBase = r === base;
    lines.push(
      `| ${r.scenario} | ${fmt(r.accepted)} | ${fmt(r.accepted / base.accepted, 2)} | ${pair(r.p50, r.p99, 1)} | ${fmt(r.delivered)} | ${r.delivered !== null ? fmt(r.delivered / r.accepted, 2) : '–'} | ${r.drainTimedOut ? `> ${DRAIN_TIMEOUT_MS / 1000}` : fmt(r.drain, 1)} | ${fmt(r.cpuPerEvent)} | ${isBase ? '1.00' : fmt(r.cpuPerEvent / baseCpu, 1)} | ${r.delivered !== null ? pair(r.e2eP50, r.e2eP99, 1) : '–'} | ${fmt(r.rss)} | ${fmt(r.failed)} | ${fmt(r.lost)} | ${fmt(r.dups)} | ${fmt(r.genCpu)} | ${fmt(r.others)} |`,
    );
  }
  const ingestRow = rows.find((r) => r.scenario.startsWith('ingest:'));
  const deliveryRow = rows.find((r) => r.deliveryOnly);
  if (deliveryRow) notes.push(`delivery only: "delivered/s" is the rate at which the queued events were delivered with no load, "drain s" the time to deliver them all.`);
  if (ingestRow && deliveryRow) {
    const sum = ingestRow.cpuPerEvent + deliveryRow.cpuPerEvent;
    notes.push(
      `where the CPU goes: acknowledging alone ${fmt(ingestRow.cpuPerEvent)} µs per event (ingest) + delivering alone ${fmt(deliveryRow.cpuPerEvent)} µs (delivery only) = ${fmt(sum)} µs, ${fmt(sum / baseCpu, 1)}× the baseline's CPU per request${main ? `; the main scenario, both at once: ${fmt(main.cpuPerEvent)} µs` : ''}.`,
    );
  }
  for (const r of rows) {
    if (r.reloadMs !== null) notes.push(`reload: one reload of the 1,000-route file through POST /admin/reload took ${fmt(r.reloadMs)} ms (median of 5).`);
    if (r.unacked) notes.push(`${r.scenario}: ${r.unacked} delivered event(s) whose acknowledgement the generator never saw (in flight when the load stopped); neither lost nor duplicates.`);
  }

  // The goals of issue 16, read from the main scenario (and every scenario for RSS, lost, duplicates).
  const rssRows = rows.filter((r) => r !== base && !r.scenario.startsWith('routes: 10,000'));
  const worstRss = rssRows.reduce((w, r) => ((r.rss ?? 0) > (w?.rss ?? -1) ? r : w), undefined);
  const counted = rows.filter((r) => r.lost !== null);
  const lost = counted.reduce((t, r) => t + r.lost, 0);
  const dups = counted.reduce((t, r) => t + r.dups, 0);
  const where = (k) =>
    counted
      .filter((r) => r[k] > 0)
      .map((r) => `${r.scenario.split(':')[0]} ${r[k]}`)
      .join(', ');
  const m = main ?? {}; // --only without main: its goals read "not measured"
  const cpuRatio = m.cpuPerEvent / baseCpu;
  const goals = [
    ['CPU per end-to-end event ≤ 6× the baseline’s CPU per request', `${fmt(cpuRatio, 1)}× (${fmt(m.cpuPerEvent)} µs vs ${fmt(baseCpu)} µs)`, '≤ 6×', cpuRatio <= 6],
    ['delivered/s during the load ≥ 0.9× accepted/s', `${fmt(m.delivered / m.accepted, 2)}× (${fmt(m.delivered)} of ${fmt(m.accepted)}/s)`, '≥ 0.9×', m.delivered / m.accepted >= 0.9],
    ['everything delivered within 2 s of the load’s end', m.drainTimedOut ? `not within ${DRAIN_TIMEOUT_MS / 1000} s` : `${fmt(m.drain, 1)} s`, '≤ 2 s', !m.drainTimedOut && m.drain <= 2],
    ['acknowledgement with a route ≥ 0.25× baseline', `${fmt(m.accepted / base.accepted, 2)}× (${fmt(m.accepted)} vs ${fmt(base.accepted)}/s)`, '≥ 0.25×', m.accepted / base.accepted >= 0.25],
    ['acknowledgement p99 ≤ 30 ms', `${fmt(m.p99, 1)} ms`, '≤ 30 ms', m.p99 <= 30],
    [
      'peak RSS ≤ 150 MB (every scenario but 10,000 routes)',
      `${fmt(worstRss?.rss)} MB (worst: ${worstRss?.scenario.split(':')[0]}); main ${fmt(m.rss)} MB`,
      '≤ 150 MB',
      (worstRss?.rss ?? Infinity) <= 150,
    ],
    ['nothing lost (every scenario)', `${lost}${lost ? ` (${where('lost')})` : ''}`, '0', lost === 0],
    ['nothing delivered twice (every scenario)', `${dups}${dups ? ` (${where('dups')})` : ''}`, '0', dups === 0],
  ];
  const goalLines = [
    '| goal (issue 16) | measured | target | met? |',
    '|---|---|---|---|',
    ...goals.map(([g, measured, t, ok], i) => `| ${g} | ${!main && i < 5 ? '–' : measured} | ${t} | ${!main && i < 5 ? 'not measured' : ok ? 'met' : '**not met**'} |`),
  ];

  const date = new Date().toISOString();
  const text = [
    `# Switchboard benchmark, ${date}`,
    '',
    `Machine: ${process.platform}, Node ${process.version}, ${cpus().length} cores. ${RUNS} run(s) of the baseline, main and PostgreSQL scenarios (median), ${SECONDS} s each; the other scenarios 1 run; ${CONNECTIONS} connections; a ${PAYLOAD_SIZE}-byte signed GitHub issue_comment with a fresh delivery id per request.${QUICK ? ' (--quick)' : ''}`,
    '',
    ...lines,
    '',
    ...notes.map((n) => `- ${n}`),
    '',
    '## Goals',
    '',
    ...goalLines,
    '',
    `Total time: ${Math.round((Date.now() - t0) / 1000)} s. Load average at the end: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(', ')}.`,
    '',
  ].join('\n');
  console.log(text);
  if (ONLY) return; // a partial run is not a result
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results', `${date.slice(0, 10)}${QUICK ? '-quick' : ''}.md`), text);
}

main().catch((err) => {
  console.error(err);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
});
