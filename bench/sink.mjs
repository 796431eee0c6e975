// The target in the benchmarks: answers 200 at once and records, for each call,
// ack→delivered latency (now − the event's $receivedAt, carried in the body).
import { createServer } from 'node:http';

let latencies = [];
let count = 0;
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    const sorted = [...latencies].sort((a, b) => a - b);
    const pct = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null);
    res.end(JSON.stringify({ count, p50: pct(50), p99: pct(99) }));
    return;
  }
  if (req.method === 'POST' && req.url === '/reset') {
    latencies = [];
    count = 0;
    res.end('{}');
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    count++;
    try {
      const { receivedAt } = JSON.parse(Buffer.concat(chunks).toString());
      if (receivedAt) latencies.push(Date.now() - Date.parse(receivedAt));
    } catch {
      // not ours
    }
    res.end('ok');
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
