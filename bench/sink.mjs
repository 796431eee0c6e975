// The target in the benchmarks: answers 200 at once and records each call's
// arrival time, its Idempotency-Key, and the bench token at the end of its body
// (the Slack text ends with the comment, which ends with the token).
//   GET  /count  → { arrivals, keys }  (keys: distinct idempotency keys)
//   GET  /dump   → { keys, tokens, times }  one entry per arrival
//   POST /reset
import { createServer } from 'node:http';
import { now, tokenIn } from './payload.mjs';

let keys = [];
let tokens = [];
let times = [];
let distinct = new Set();
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') {
    res.end(JSON.stringify({ arrivals: keys.length, keys: distinct.size }));
    return;
  }
  if (req.method === 'GET' && req.url === '/dump') {
    res.end(JSON.stringify({ keys, tokens, times }));
    return;
  }
  if (req.method === 'POST' && req.url === '/reset') {
    keys = [];
    tokens = [];
    times = [];
    distinct = new Set();
    res.end('{}');
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const t = now();
    const key = String(req.headers['idempotency-key'] ?? '');
    keys.push(key);
    distinct.add(key);
    tokens.push(tokenIn(Buffer.concat(chunks).toString()) ?? null);
    times.push(t);
    res.end('ok');
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
