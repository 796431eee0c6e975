import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const counts = new Map(); for (const id of p.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
const agg = new Map();
for (const [id, n] of counts) {
  const u = byId.get(id).callFrame.url;
  let k = u.includes('node_modules/') ? u.split('node_modules/')[1].split('/')[0] : u.includes('/dist/') ? 'dist/' + u.split('/dist/')[1] : u.startsWith('node:') ? u.split('/').slice(0,2).join('/') : (byId.get(id).callFrame.functionName || '(native)');
  agg.set(k, (agg.get(k) ?? 0) + n);
}
for (const [k, n] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log((100 * n / p.samples.length).toFixed(1).padStart(5), k);
