import Database from 'better-sqlite3';
const bench = (name, n, fn) => { for (let i = 0; i < 1000; i++) fn(i); const t = performance.now(); for (let i = 0; i < n; i++) fn(i); console.log(name, ((performance.now() - t) * 1000 / n).toFixed(2), 'µs'); };
const big = Buffer.alloc(7000, 65);
const s = big.toString();
for (const ps of [4096, 8192, 16384, 65536]) {
  const db = new Database(':memory:'); db.pragma(`page_size = ${ps}`);
  db.exec('CREATE TABLE t (a INTEGER, b BLOB)');
  const ins = db.prepare('INSERT INTO t VALUES (?, ?)');
  bench(`mem page ${ps} blob`, 20000, (i) => ins.run(i, big));
  bench(`mem page ${ps} text`, 20000, (i) => ins.run(i, s));
  const tx = db.transaction(() => { for (let j = 0; j < 25; j++) ins.run(j, big); });
  bench(`mem page ${ps} blob in tx25 (per row)`, 2000, () => tx()) ;
}
