// `switchboard sink`: a local request bin. It prints every request it gets and
// answers 200, so a route can be watched end to end on one machine
// (point a target at http://127.0.0.1:9999/<anything>).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { paint, type IO } from './io.js';

export async function sinkCommand(port: number, io: IO): Promise<number> {
  const c = paint(io);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      io.out(c.bold(`${new Date().toISOString()}  ${req.method} ${req.url}`));
      for (const [name, value] of Object.entries(req.headers)) io.out(c.dim(`  ${name}: ${String(value)}`));
      let pretty = body;
      try {
        pretty = JSON.stringify(JSON.parse(body), null, 2);
      } catch {
        // not JSON: print as it came
      }
      if (pretty) for (const line of pretty.split('\n')) io.out(`  ${line}`);
      io.out('');
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  }).catch((err: NodeJS.ErrnoException) => {
    io.err(`switchboard sink: ${err.code === 'EADDRINUSE' ? `port ${port} is already in use (use --port)` : err.message}`);
    return Promise.reject(err);
  });
  io.out(`sink listening on http://127.0.0.1:${(server.address() as AddressInfo).port} (Ctrl-C to stop)`);
  return new Promise<number>((resolve) => {
    const stop = () => server.close(() => resolve(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
