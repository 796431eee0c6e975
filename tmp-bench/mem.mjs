import { config } from '/work/main/bench/common.mjs';
import { loadConfigText } from '/work/main/dist/config/load.js';
const text = config({ routes: 10000, sink: 'http://127.0.0.1:9', store: 'sqlite:/tmp/x.db', topicIndexed: true });
global.gc(); const m0 = process.memoryUsage();
const r = loadConfigText('/tmp/r.yaml', text);
const m1 = process.memoryUsage();
global.gc(); const m2 = process.memoryUsage();
console.log('text MB', (text.length/1e6).toFixed(1), 'heap during', ((m1.heapUsed-m0.heapUsed)/1e6).toFixed(0), 'retained', ((m2.heapUsed-m0.heapUsed)/1e6).toFixed(0), 'rss', (m2.rss/1e6).toFixed(0), !!r.config);
globalThis.keep = r;
