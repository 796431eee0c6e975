// Slow clients (slow loris): the documented limits — 15 s for the headers, 60 s
// for the whole request — hold only if Node looks for overdue connections often
// enough. It looks every connectionsCheckingInterval (30 s by default), which
// made them 30 s and 90 s. The real server, in-process, with shortened limits.
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/load.js';
import { createLogger } from '../../src/observe/log.js';
import { HTTP_LIMITS, startServer, type RunningServer, type ServerOptions } from '../../src/server.js';
import { SqliteStore } from '../../src/store/sqlite.js';

const CONFIG = `version: 1
sources:
  open: { verify: { scheme: none } }
routes: []
`;

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(httpLimits?: ServerOptions['httpLimits']): Promise<RunningServer> {
  const { config } = loadConfigText('routes.yaml', CONFIG, { PORT: '0' });
  const quiet = createLogger({ LOG_LEVEL: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }));
  server = await startServer({ config: config!, log: quiet, store: new SqliteStore('sqlite::memory:'), host: '127.0.0.1', worker: false, ...(httpLimits ? { httpLimits } : {}) });
  return server;
}

/** Resolves with what the server sent once it ends the connection, and how long that took. */
function dropped(socket: Socket): Promise<{ answer: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (answer += d));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ answer, ms: Math.round(performance.now() - started) }));
  });
}

describe('slow clients', () => {
  it('the running server has the documented limits and checks them every second', async () => {
    const { http } = await start();
    expect(http.headersTimeout).toBe(15_000);
    expect(http.requestTimeout).toBe(60_000);
    // Node's default, 30_000, is what stretched the limits; anything ≤ 1 s keeps them within a second.
    expect((http as typeof http & { connectionsCheckingInterval: number }).connectionsCheckingInterval).toBeLessThanOrEqual(1_000); // not in @types/node's Server
    expect(HTTP_LIMITS).toEqual({ headersMs: 15_000, requestMs: 60_000, checkEveryMs: 1_000 });
  });

  // The limits are shortened, the checking interval is the production one: with Node's
  // 30 s interval neither client would be dropped before the test's 20 s timeout.
  it('a client that never finishes its headers is dropped once the headers limit passes', async () => {
    const { port } = await start({ headersMs: 500, requestMs: 2_000 });
    const socket = connect(port, '127.0.0.1');
    const result = dropped(socket);
    socket.write('POST /hooks/open HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1\r\n');
    const drip = setInterval(() => socket.write('X-Slow: 1\r\n'), 100);
    try {
      const { answer, ms } = await result;
      console.log(`headers limit 500 ms, checked every ${HTTP_LIMITS.checkEveryMs} ms: dropped after ${ms} ms`);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(drip);
    }
  });

  it('a client that never finishes its body is dropped once the request limit passes', async () => {
    const { port } = await start({ headersMs: 500, requestMs: 1_000 });
    const socket = connect(port, '127.0.0.1');
    const result = dropped(socket);
    socket.write('POST /hooks/open HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":');
    const drip = setInterval(() => socket.write(' '), 100);
    try {
      const { answer, ms } = await result;
      console.log(`request limit 1000 ms, checked every ${HTTP_LIMITS.checkEveryMs} ms: dropped after ${ms} ms`);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(await server!.store.listEvents({ limit: 10 })).toMatchObject({ events: [] });
    } finally {
      clearInterval(drip);
    }
  });
});
