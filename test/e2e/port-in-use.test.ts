// `serve` on a port that is taken: a clear error naming the port and exit 1
// within a second or two. It used to print the error and then hang, kept alive
// by the store it had opened (and, now, holding the store's lock).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/load.js';
import { createLogger } from '../../src/observe/log.js';
import { startServer } from '../../src/server.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { tempDir, writeFile } from '../helpers/config.js';

const ROOT = resolve(__dirname, '../..');
const CONFIG = `version: 1
sources:
  gh:
    verify: { scheme: github, secret: port-secret-not-real }
targets:
  sink: { url: "http://127.0.0.1:9/sink" }
routes:
  - { name: to-sink, source: gh, target: sink }
`;

async function occupy(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('serve on a port in use', () => {
  it('exits 1 promptly with a message naming the port, and closes the store', async () => {
    const { server, port } = await occupy();
    try {
      const dir = tempDir();
      writeFile(dir, 'routes.yaml', CONFIG);
      const dbPath = join(dir, 'data', 'sb.db');
      const started = Date.now();
      const proc = spawn(process.execPath, [join(ROOT, 'bin/switchboard.js'), 'serve', '-c', 'routes.yaml'], {
        cwd: dir,
        // serve binds 0.0.0.0, which a listener on 127.0.0.1 and the same port already conflicts with.
        env: { PATH: process.env.PATH ?? '', PORT: String(port), SWITCHBOARD_STORE: `sqlite:${dbPath}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const guard = setTimeout(() => proc.kill('SIGKILL'), 5000);
      const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => proc.on('close', (c, s) => res({ code: c, signal: s })));
      clearTimeout(guard);
      expect(signal).toBeNull(); // not the guard's SIGKILL
      expect(code).toBe(1);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(stderr).toContain(`port ${port} is already in use`);
      // Closed cleanly: SQLite removes the WAL on the last close.
      expect(existsSync(`${dbPath}-wal`)).toBe(false);
    } finally {
      server.close();
    }
  }, 15_000);

  it('startServer rejects and releases the store it opened', async () => {
    const { server, port } = await occupy();
    try {
      const dbPath = join(tempDir(), 'sb.db');
      const { config } = loadConfigText('routes.yaml', CONFIG.replace('version: 1', `version: 1\nstore: sqlite:${dbPath}`), {});
      const quiet = createLogger({ LOG_LEVEL: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }));
      await expect(startServer({ config: config!, log: quiet, port, host: '127.0.0.1' })).rejects.toMatchObject({ code: 'EADDRINUSE' });
      // Not left open (or locked): the next server on this file opens it.
      const store = new SqliteStore(`sqlite:${dbPath}`);
      await store.close();
    } finally {
      server.close();
    }
  });
});
