// A real HTTP server that plays the target: it records every request and
// answers as told, per path: 200, an error status, 429 with Retry-After, a hang
// past the caller's timeout, a reset connection, or an endless body.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Behaviour =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'hang'; ms: number }
  | { kind: 'reset' }
  | { kind: 'huge'; bytes: number }
  /** Answers 200, then the body one byte every `everyMs`. */
  | { kind: 'drip'; bytes: number; everyMs: number };

export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

export interface Sink {
  url: string;
  received: Received[];
  /** Answers for the next requests to `path`, in order; after them, `fallback`. */
  script(path: string, behaviours: Behaviour[], fallback?: Behaviour): void;
  /** Most requests it ever had open at once. */
  maxConcurrent(): number;
  waitFor(pred: (r: Received[]) => boolean, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startSink(): Promise<Sink> {
  const received: Received[] = [];
  const scripts = new Map<string, { queue: Behaviour[]; fallback: Behaviour }>();
  let open = 0;
  let peak = 0;
  const server: Server = createServer((req, res) => {
    open++;
    peak = Math.max(peak, open);
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        open--;
      }
    };
    res.on('close', finish);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      received.push({ method: req.method ?? '', path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const script = scripts.get(path);
      const b: Behaviour = script?.queue.shift() ?? script?.fallback ?? { kind: 'status', status: 200, body: 'ok' };
      if (b.kind === 'status') {
        res.writeHead(b.status, { 'Content-Type': 'text/plain', ...b.headers });
        res.end(b.body ?? '');
      } else if (b.kind === 'hang') {
        setTimeout(() => {
          if (!res.destroyed) res.end('late');
        }, b.ms).unref();
      } else if (b.kind === 'drip') {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        let sent = 0;
        const timer = setInterval(() => {
          if (res.destroyed || sent >= b.bytes) {
            clearInterval(timer);
            if (!res.destroyed) res.end();
            return;
          }
          res.write('x');
          sent++;
        }, b.everyMs);
        res.on('close', () => clearInterval(timer));
      } else if (b.kind === 'reset') {
        req.socket.destroy();
      } else {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let sent = 0;
        const pump = () => {
          while (sent < b.bytes) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('error', () => undefined);
        pump();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    script: (path, behaviours, fallback = { kind: 'status', status: 200, body: 'ok' }) => scripts.set(path, { queue: [...behaviours], fallback }),
    maxConcurrent: () => peak,
    async waitFor(pred, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pred(received)) {
        if (Date.now() > deadline) throw new Error(`sink: condition not met within ${timeoutMs} ms; received ${received.length}: ${received.map((r) => r.path).join(', ')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return received;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
