import { cannon, config, start, startSwitchboard, stop, children, work } from '/work/main/bench/common.mjs';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
const th = (pid) => Object.fromEntries(readdirSync(`/proc/${pid}/task`).map((t) => { const st = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8'); const f = st.split(') ')[1].split(' '); return [t + ':' + st.split('(')[1].split(')')[0], [Number(f[11]), Number(f[12])]]; }));
const sink = await start(process.execPath, ['/work/main/bench/sink.mjs']);
const which = process.argv[2] ?? 'e2e';
const s = await startSwitchboard(config({ sink: sink.url, store: `sqlite:${join(work, 'x.db')}`, matching: which === 'e2e' }), 'x');
const a = th(s.child.pid), k0 = th(sink.child.pid); const t0 = Date.now();
const r = await cannon(s.url, { seconds: 5 });
const b = th(s.child.pid), k1 = th(sink.child.pid); const dt = (Date.now() - t0) / 10;
let tot = 0, main = 0; for (const k of Object.keys(b)) { const d = b[k][0] + b[k][1] - (a[k]?.[0] ?? 0) - (a[k]?.[1] ?? 0); tot += d; if (k.startsWith(String(s.child.pid) + ':')) main = d; }
console.log(which, Math.round(r.rps), 'rps; server CPU µs/request: all threads', Math.round(tot * 10000 / r.total), 'main', Math.round(main * 10000 / r.total));
if (process.env.V) for (const k of Object.keys(b)) { const u = b[k][0] - (a[k]?.[0] ?? 0), sy = b[k][1] - (a[k]?.[1] ?? 0); if (u + sy > 3) console.log(' ', k, 'user%', Math.round(100 * u / dt), 'sys%', Math.round(100 * sy / dt)); }
if (process.env.V) for (const k of Object.keys(k1)) { const u = k1[k][0] - (k0[k]?.[0] ?? 0); if (u > 3) console.log('  sink', k, 'user%', Math.round(100 * u / dt)); }
await stop(s); await stop(sink); for (const c of children) c.kill('SIGKILL');
