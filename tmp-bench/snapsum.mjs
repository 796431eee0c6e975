import { readFileSync } from 'node:fs';
const snap = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const f = snap.snapshot.meta.node_fields, types = snap.snapshot.meta.node_types[0];
const N = f.length, nodes = snap.nodes, strings = snap.strings;
const iType = f.indexOf('type'), iName = f.indexOf('name'), iSize = f.indexOf('self_size');
const agg = new Map(); let total = 0;
for (let i = 0; i < nodes.length; i += N) {
  const t = types[nodes[i + iType]]; const name = t === 'object' || t === 'closure' ? strings[nodes[i + iName]] : t;
  const k = `${t}:${name}`.slice(0, 80); const e = agg.get(k) ?? [0, 0]; e[0] += nodes[i + iSize]; e[1]++; agg.set(k, e); total += nodes[i + iSize];
}
console.log('total MB', (total / 1e6).toFixed(1));
for (const [k, [sz, n]] of [...agg].sort((a, b) => b[1][0] - a[1][0]).slice(0, 25)) console.log((sz / 1e6).toFixed(2).padStart(7), String(n).padStart(8), k);
