// The disk fills up under the SQLite store, for real: the store lives on a
// small tmpfs with a filler file on it. While it is full, webhooks that cannot
// be committed get 503 (never a 200 for what was not committed); when space
// comes back, /readyz is ready, work resumes, and every acknowledged event is delivered.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { githubHeaders, spawnServer } from '../helpers/server.js';
import { sinkConfig } from '../helpers/sink-config.js';
import { startSink } from '../helpers/sink.js';

const SECRET = 'disk-full-secret-not-real';
const mountPoint = mkdtempSync(join(tmpdir(), 'switchboard-full-'));
const mounted = typeof process.getuid === 'function' && process.getuid() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mountPoint]).status === 0;
if (!mounted) console.warn('SKIPPING the disk-full test: it needs root to mount a small tmpfs (CI runs as root).');

afterAll(() => {
  if (mounted) spawnSync('umount', ['-l', mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

describe.skipIf(!mounted)('the disk fills up under SQLite', () => {
  it('503 for what cannot be committed; resumes when there is room; nothing acknowledged lost', async () => {
    // Most of the space is taken by a filler, so the store runs out after a few hundred events.
    const filler = join(mountPoint, 'filler');
    writeFileSync(filler, Buffer.alloc(4 * 1024 * 1024));
    const sink = await startSink();
    const server = await spawnServer(sinkConfig(sink.url, SECRET), { SWITCHBOARD_STORE: `sqlite:${join(mountPoint, 'store.db')}` });
    const acked = new Set<string>();
    const statuses = new Map<number, number>();
    let n = 0;
    const send = async () => {
      const body = Buffer.from(JSON.stringify({ action: 'x', n: ++n, pad: 'p'.repeat(6000) }));
      const res = await fetch(`${server.url}/hooks/gh`, { method: 'POST', body, headers: githubHeaders(body, SECRET, 'push', `full-${n}`) });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 200) acked.add(((await res.json()) as { id: string }).id);
      else await res.arrayBuffer();
      return res.status;
    };
    try {
      let status = 200;
      for (let i = 0; i < 3000 && status === 200; i++) status = await send();
      expect(status).toBe(503);
      expect(acked.size).toBeGreaterThan(10);
      // The last few bytes may still take a small write: take them too, so the disk is wholly full.
      const topUp = join(mountPoint, 'top-up');
      try {
        for (let i = 0; i < 10_000; i++) writeFileSync(topUp, Buffer.alloc(4096), { flag: 'a' });
      } catch {
        // ENOSPC: full
      }
      // While full, a write that fits in space the WAL already owns still commits (and is
      // answered 200); one that needs more is refused with 503. Nothing else.
      const whileFull: number[] = [];
      for (let i = 0; i < 30; i++) whileFull.push(await send());
      expect(whileFull.every((st) => st === 200 || st === 503)).toBe(true);
      expect(whileFull).toContain(503);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

      unlinkSync(filler); // room again
      unlinkSync(topUp);
      const deadline = Date.now() + 15_000;
      while ((await fetch(`${server.url}/readyz`)).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      for (let i = 0; i < 10; i++) expect(await send()).toBe(200);

      expect([...statuses.keys()].sort()).toEqual([200, 503]);
      await sink.waitFor((r) => {
        const seen = new Set(r.map((x) => (JSON.parse(x.body) as { event: string }).event));
        return [...acked].every((id) => seen.has(id));
      }, 30_000);
    } finally {
      server.proc.kill('SIGTERM');
      await server.exit;
      await sink.close();
    }
  }, 90_000);
});
