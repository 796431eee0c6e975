import { PAYLOAD } from '/work/main/bench/common.mjs';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
const bench = (name, n, fn) => { for (let i = 0; i < 100; i++) fn(i); const t = performance.now(); for (let i = 0; i < n; i++) fn(i); console.log(name, ((performance.now() - t) * 1000 / n / 25).toFixed(1), 'µs/event'); };
const H = '{"a":"b","c":"ddddddddddddddddddddddddddddddd","host":"127.0.0.1:1234","content-type":"application/json","x-github-event":"issue_comment"}';
function run(label, { pragmas = [], body = PAYLOAD, indexes = true, path = `/tmp/sq-${Math.random()}.db` } = {}) {
  const db = new Database(path); for (const p of pragmas) db.pragma(p); db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE e (id TEXT PRIMARY KEY, source TEXT, delivery_id TEXT, received_at INTEGER, headers TEXT, body BLOB); ${indexes ? 'CREATE UNIQUE INDEX e1 ON e(source, delivery_id); CREATE INDEX e2 ON e(received_at);' : ''}`);
  const ins = db.prepare('INSERT INTO e VALUES (?, ?, ?, ?, ?, ?)'); const find = db.prepare('SELECT id FROM e WHERE source = ? AND delivery_id = ?');
  const tx = db.transaction(() => { for (let j = 0; j < 25; j++) { const u = randomUUID(); if (indexes) find.get('github', u); ins.run('evt_' + randomUUID(), 'github', u, Date.now(), H, body); } });
  bench(label, 600, () => tx.immediate()); db.close();
}
run('baseline');
run('small body', { body: Buffer.from('{}') });
run('no indexes', { indexes: false });
run('exclusive lock', { pragmas: ['locking_mode = EXCLUSIVE'] });
run('mmap 256MB', { pragmas: ['mmap_size = 268435456'] });
run('cache 64MB', { pragmas: ['cache_size = -65536'] });
run('memory db', { path: ':memory:' });
run('/dev/shm', { path: `/dev/shm/sq-${Math.random()}.db` });
