import { PAYLOAD, SECRET } from '/work/main/bench/common.mjs';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
const bench = (name, n, fn) => { for (let i = 0; i < 1000; i++) fn(i); const t = performance.now(); for (let i = 0; i < n; i++) fn(i); console.log(name, ((performance.now() - t) * 1000 / n).toFixed(2), 'µs'); };
const td = new TextDecoder('utf-8', { fatal: true });
bench('decode', 20000, () => td.decode(PAYLOAD));
const text = td.decode(PAYLOAD);
bench('toString', 20000, () => PAYLOAD.toString());
bench('JSON.parse', 20000, () => JSON.parse(text));
bench('trim', 20000, () => text.trim());
bench('hmac', 20000, () => createHmac('sha256', SECRET).update(PAYLOAD).digest('hex'));
bench('randomBytes16', 20000, () => randomBytes(16));
bench('randomUUID', 20000, () => randomUUID());
bench('date iso', 20000, () => new Date().toISOString());
for (const [ps, ac] of [[4096, 1000], [16384, 1000], [4096, 0]]) {
  const db = new Database(`/tmp/m-${ps}-${ac}.db`); db.pragma(`page_size = ${ps}`); db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL'); db.pragma(`wal_autocheckpoint = ${ac}`);
  db.exec(`DROP TABLE IF EXISTS e; CREATE TABLE e (id TEXT PRIMARY KEY, source TEXT, delivery_id TEXT, received_at INTEGER, headers TEXT, body BLOB); CREATE UNIQUE INDEX e1 ON e(source, delivery_id); CREATE INDEX e2 ON e(received_at);`);
  const ins = db.prepare('INSERT INTO e VALUES (?, ?, ?, ?, ?, ?)'); const find = db.prepare('SELECT id FROM e WHERE source = ? AND delivery_id = ?');
  const tx = db.transaction((k) => { for (let j = 0; j < 25; j++) { const u = randomUUID(); find.get('github', u); ins.run('evt_' + randomUUID(), 'github', u, Date.now(), '{"a":"b","c":"ddddddddddddddddddddddddddddddd","host":"127.0.0.1:1234","content-type":"application/json","x-github-event":"issue_comment"}', PAYLOAD); } });
  bench(`sqlite batch25 page=${ps} ac=${ac} (per event)`, 800, () => tx.immediate());
  db.close();
}
