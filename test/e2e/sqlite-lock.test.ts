// A SQLite store serves one process. A second `serve` on the same file used to
// start, take the first one's claims for stale and send its deliveries in
// flight again; now it refuses to start, naming the file and the pid holding
// it, and the first keeps working. A holder killed with -9 leaves no stale
// lock: the next server starts.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite.js';
import { tempDir } from '../helpers/config.js';
import { githubHeaders, spawnServer } from '../helpers/server.js';
import { sinkConfig } from '../helpers/sink-config.js';
import { startSink } from '../helpers/sink.js';

const ROOT = resolve(__dirname, '../..');
const SECRET = 'lock-secret-not-real';

/** Runs `serve` in `dir` on `dbPath` until it exits (or, if it starts listening, stops it): its exit code and stderr. */
function runSecond(dir: string, dbPath: string): Promise<{ code: number | null; stderr: string; listened: boolean; ms: number }> {
  const started = Date.now();
  const proc = spawn(process.execPath, [join(ROOT, 'bin/switchboard.js'), 'serve', '-c', 'routes.yaml'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', PORT: '0', SWITCHBOARD_STORE: `sqlite:${dbPath}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let listened = false;
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.stdout.on('data', (d: Buffer) => {
    if (d.toString().includes('"msg":"listening')) {
      listened = true;
      proc.kill('SIGTERM');
    }
  });
  const guard = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  return new Promise((res) =>
    proc.on('close', (code) => {
      clearTimeout(guard);
      res({ code, stderr, listened, ms: Date.now() - started });
    }),
  );
}

async function post(url: string, n: number): Promise<string> {
  const body = Buffer.from(JSON.stringify({ action: 'x', n }));
  const res = await fetch(`${url}/hooks/gh`, { method: 'POST', body, headers: githubHeaders(body, SECRET, 'push', `lock-${n}-${Date.now()}`) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

describe('one process per SQLite store', () => {
  it('a second serve on the same file refuses to start; the first keeps working and sends nothing twice; after kill -9 a new one starts', async () => {
    const sink = await startSink();
    // Slow answers: the first server's deliveries are in flight while the second one tries to start.
    sink.script('/sink', [], { kind: 'hang', ms: 700 });
    const first = await spawnServer(sinkConfig(sink.url, SECRET));
    let third: Awaited<ReturnType<typeof spawnServer>> | undefined;
    try {
      const ids: string[] = [];
      for (let n = 0; n < 5; n++) ids.push(await post(first.url, n));
      await sink.waitFor((r) => r.length >= 5);

      const second = await runSecond(first.dir, first.dbPath);
      expect(second.listened).toBe(false);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`the SQLite store ${first.dbPath} is in use by another Switchboard process (pid ${first.proc.pid} `);
      expect(second.ms).toBeLessThan(10_000);

      // The first one still takes and delivers webhooks, and delivered each event once.
      sink.script('/sink', [], { kind: 'status', status: 200 });
      ids.push(await post(first.url, 5));
      const events = () => sink.received.filter((r) => r.path === '/sink').map((r) => (JSON.parse(r.body) as { event: string }).event);
      await sink.waitFor(() => ids.every((id) => events().includes(id)));
      await new Promise((r) => setTimeout(r, 2500)); // past the lease: a re-sent delivery would have shown up
      expect(events().sort()).toEqual([...ids].sort());

      // kill -9: its OS lock goes with it, so a restart on the same file starts (and the lock is its own).
      first.proc.kill('SIGKILL');
      await first.exit;
      third = await spawnServer(sinkConfig(sink.url, SECRET), {}, first.dir);
      const late = await post(third.url, 6);
      await sink.waitFor(() => events().includes(late));
      expect(() => new SqliteStore(`sqlite:${first.dbPath}`)).toThrow(new RegExp(`in use by another Switchboard process \\(pid ${third.proc.pid} `));
    } finally {
      first.proc.kill('SIGKILL');
      if (third) {
        third.proc.kill('SIGTERM');
        await third.exit;
      }
      await sink.close();
    }
  }, 60_000);

  it('the lock is released on close, and :memory: stores take none', async () => {
    const path = join(tempDir(), 'sb.db');
    const a = new SqliteStore(`sqlite:${path}`);
    expect(() => new SqliteStore(`sqlite:${path}`)).toThrow(/is in use by another Switchboard process/);
    await a.close();
    const b = new SqliteStore(`sqlite:${path}`);
    await b.close();
    const m1 = new SqliteStore('sqlite::memory:');
    const m2 = new SqliteStore('sqlite::memory:');
    await m1.close();
    await m2.close();
  });
});
