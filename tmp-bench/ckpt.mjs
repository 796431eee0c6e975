import { PAYLOAD } from '/work/main/bench/common.mjs';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
const H = '{"a":"b","c":"ddddddddddddddddddddddddddddddd","host":"127.0.0.1:1234","content-type":"application/json","x-github-event":"issue_comment"}';
const ac = Number(process.argv[2] ?? 1000);
const db = new Database(`/tmp/ck-${Math.random()}.db`); db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL'); db.pragma(`wal_autocheckpoint = ${ac}`);
db.exec(`CREATE TABLE e (id TEXT PRIMARY KEY, source TEXT, delivery_id TEXT, received_at INTEGER, headers TEXT, body BLOB); CREATE UNIQUE INDEX e1 ON e(source, delivery_id); CREATE INDEX e2 ON e(received_at);`);
const ins = db.prepare('INSERT INTO e VALUES (?, ?, ?, ?, ?, ?)'); const find = db.prepare('SELECT id FROM e WHERE source = ? AND delivery_id = ?');
const tx = db.transaction(() => { for (let j = 0; j < 25; j++) { const u = randomUUID(); find.get('github', u); ins.run('evt_' + randomUUID(), 'github', u, Date.now(), H, PAYLOAD); } });
const times = [];
const t0 = performance.now();
for (let i = 0; i < 1000; i++) { const t = performance.now(); tx.immediate(); times.push(performance.now() - t); }
const total = performance.now() - t0;
times.sort((a, b) => a - b);
const slow = times.filter((t) => t > 3 * times[500]);
console.log(`ac=${ac} total ${total.toFixed(0)} ms, per event ${(total * 1000 / 25000).toFixed(1)} µs; median commit ${times[500].toFixed(2)} ms, p99 ${times[990].toFixed(2)}, max ${times[999].toFixed(1)}; ${slow.length} slow commits take ${slow.reduce((a, b) => a + b, 0).toFixed(0)} ms`);
