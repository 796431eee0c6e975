#!/usr/bin/env node
// The load generator, a process of its own so it can be pinned to its own core.
// Settings come as JSON in BENCH_LOAD (see runLoad in common.mjs); the result is
// written as JSON to its `out` file. Every request is a signed GitHub
// issue_comment with a fresh X-GitHub-Delivery and a fresh token at the end of
// comment.body (the sink reads it back), so acknowledgements and deliveries match
// one to one.
//   closed: `connections` keep one request each in flight for `seconds`, then wait for
//           the last answers;
//   open:   `rate` requests per second are sent on schedule for `seconds`, however
//           slowly they are answered; latency counts from the scheduled time.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { Pool } from 'undici';
import { PREFIX, now, signedBody, signedTail } from './payload.mjs';

const opts = JSON.parse(process.env.BENCH_LOAD ?? '{}');
const urls = opts.urls ?? [opts.url];
const topics = opts.topics ?? 0;
const record = opts.record !== false;

const latencies = [];
const tokens = [];
const ackTimes = [];
let sent = 0;
let failed = 0;
let topicIndex = 0;

function headersFor(token, signature) {
  const h = { 'content-type': 'application/json', 'x-github-event': 'issue_comment', 'x-github-delivery': token, 'x-hub-signature-256': signature };
  if (topics > 0) h['x-bench-topic'] = `t${topicIndex++ % topics}`;
  return h;
}

/** Per second of the load (by when a request was due), its answers' latencies: the open loop's timeline. */
const bySecond = [];
let loadStart = 0;

function acked(token, sentAt) {
  const t = now();
  latencies.push(t - sentAt);
  const second = Math.max(0, Math.floor((sentAt - loadStart) / 1000));
  (bySecond[second] ??= []).push(t - sentAt);
  if (record) {
    tokens.push(token);
    ackTimes.push(t);
  }
}

/**
 * One keep-alive connection with one request in flight, sending until `until` (a
 * now() time); resolves when its last answer is in. Plain sockets: the request head
 * is a short string, the fixed ~7 KB of the body one shared buffer, so a request
 * costs the generator a few microseconds (autocannon rebuilt the whole request per
 * request and the generator, not the server, set the baseline's rate).
 */
function closedConnection(url, until, watch) {
  const { hostname, port } = new URL(url);
  const host = `${hostname}:${port}`;
  return new Promise((resolve) => {
    let sock;
    let buf = null;
    let inflight = null;
    let done = false;
    const finish = () => {
      done = true;
      sock.destroy();
      resolve();
    };
    const send = () => {
      if (now() >= until) return finish();
      const token = randomUUID();
      const { tail, signature } = signedTail(token);
      const topic = topics > 0 ? `X-Bench-Topic: t${topicIndex++ % topics}\r\n` : '';
      const head = `POST /hooks/github HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${PREFIX.length + tail.length}\r\nX-GitHub-Event: issue_comment\r\nX-GitHub-Delivery: ${token}\r\nX-Hub-Signature-256: ${signature}\r\n${topic}\r\n`;
      inflight = { token, sentAt: now() };
      sent++;
      sock.cork();
      sock.write(head);
      sock.write(PREFIX);
      sock.write(tail);
      sock.uncork();
    };
    const onData = (chunk) => {
      buf = buf ? Buffer.concat([buf, chunk]) : chunk;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.toString('latin1', 0, end);
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (length) {
        if (buf.length < end + 4 + Number(length[1])) return;
      } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
        if (
          !buf
            .subarray(end + 4)
            .toString('latin1')
            .match(/(^|\r\n)0\r\n\r\n$/)
        )
          return;
      }
      buf = null;
      const r = inflight;
      inflight = null;
      const status = Number(head.slice(9, 12));
      if (r && status >= 200 && status < 300) acked(r.token, r.sentAt);
      else failed++;
      if (/\r\nconnection:\s*close/i.test(head))
        sock.destroy(); // 'close' reconnects
      else send();
    };
    const open = () => {
      sock = connect(Number(port), hostname);
      sock.setNoDelay(true);
      sock.on('connect', send);
      sock.on('data', onData);
      sock.on('error', () => failed++);
      sock.on('close', () => {
        if (done) return;
        inflight = null; // an unanswered request: counted by 'error' or the watch
        buf = null;
        if (now() >= until) finish();
        else setTimeout(open, 10);
      });
    };
    // no answer within 10 s: a failure, and a new connection
    watch.push(() => {
      if (!done && inflight && now() - inflight.sentAt > 10_000) {
        failed++;
        inflight = null;
        sock.destroy();
      }
    });
    open();
  });
}

async function closed() {
  const until = now() + opts.seconds * 1000;
  const watch = [];
  const timer = setInterval(() => watch.forEach((w) => w()), 500);
  const conns = [];
  for (let i = 0; i < opts.connections; i++) conns.push(closedConnection(urls[i % urls.length], until, watch));
  await Promise.all(conns);
  clearInterval(timer);
}

async function open() {
  const pools = urls.map((url) => new Pool(url, { connections: 256, headersTimeout: 30_000, bodyTimeout: 30_000 }));
  const total = Math.round(opts.rate * opts.seconds);
  const interval = 1000 / opts.rate;
  const pending = [];
  const t0 = now();
  loadStart = t0;
  const fire = (i, at) => {
    const token = randomUUID();
    const { body, signature } = signedBody(token);
    sent++;
    const pool = pools[i % pools.length];
    pending.push(
      pool
        .request({ path: '/hooks/github', method: 'POST', headers: headersFor(token, signature), body })
        .then(async (res) => {
          await res.body.dump();
          if (res.statusCode >= 200 && res.statusCode < 300) acked(token, at);
          else failed++;
        })
        .catch(() => failed++),
    );
  };
  await new Promise((resolve) => {
    let i = 0;
    const tick = () => {
      const due = Math.min(total, Math.floor((now() - t0) / interval) + 1);
      for (; i < due; i++) fire(i, t0 + i * interval);
      if (i < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await Promise.all(pending);
  await Promise.all(pools.map((p) => p.close()));
}

const cpu0 = process.cpuUsage();
const t0 = now();
await (opts.mode === 'open' ? open() : closed());
const t1 = now();
const cpu = process.cpuUsage(cpu0);
/** The p-th percentile of an ascending array (null when empty). */
const pctOf = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null);
const sorted = Float64Array.from(latencies).sort();
const pct = (p) => pctOf(sorted, p);
/** [answered, p50, p99] of one second's latencies, to 0.1 ms. */
function percentiles(list) {
  const s = Float64Array.from(list).sort();
  return [s.length, Math.round(10 * pctOf(s, 50)) / 10, Math.round(10 * pctOf(s, 99)) / 10];
}
writeFileSync(
  opts.out,
  JSON.stringify({
    t0,
    t1,
    sent,
    acked: latencies.length,
    failed,
    p50: pct(50),
    p99: pct(99),
    cpuPercent: (100 * (cpu.user + cpu.system)) / 1000 / (t1 - t0),
    // [answered, p50, p99] per second of the open loop
    ...(opts.mode === 'open' ? { timeline: bySecond.map((l) => (l ? percentiles(l) : [0, null, null])) } : {}),
    ...(record ? { tokens, ackTimes } : {}),
  }),
);
