// The logs' reader stops reading (a paused pager, a log shipper that stalls):
// stdout is a pipe nobody empties. The server must go on answering, hold at
// most SWITCHBOARD_LOG_BUFFER of lines, say how many it dropped once stdout
// drains, and still stop on SIGTERM — pino's own stdout stream retried the
// full pipe forever at exit, so a stopped server never exited.
import { describe, expect, it } from 'vitest';
import { githubHeaders, spawnServer, waitForLog, type Spawned } from '../helpers/server.js';

const SECRET = 'stuck-stdout-secret-not-real';
const CONFIG = `version: 1
sources:
  github:
    verify: { scheme: github, secret: ${SECRET} }
targets:
  sink: { url: "http://127.0.0.1:9/sink" }
routes:
  - { name: none, source: github, topics: [never.matches], target: sink }
`;

/** `n` signed webhooks, 50 at a time; each writes one log line (some 250 bytes). */
async function send(server: Spawned, n: number): Promise<number> {
  let ok = 0;
  for (let i = 0; i < n; i += 50) {
    const answers = await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, async (_, j) => {
        const body = JSON.stringify({ action: 'created', n: i + j, pad: 'x'.repeat(100) });
        const res = await fetch(`${server.url}/hooks/github`, { method: 'POST', headers: githubHeaders(body, SECRET, 'issue_comment', `stuck-${i + j}`), body });
        await res.arrayBuffer();
        return res.status;
      }),
    );
    ok += answers.filter((s) => s === 200).length;
  }
  return ok;
}

describe('stdout that is not read', () => {
  it('drops the lines past the buffer, keeps answering, and says how many once stdout drains', async () => {
    const server = await spawnServer(CONFIG, { SWITCHBOARD_LOG_BUFFER: '64kb' });
    try {
      server.proc.stdout!.pause(); // the pipe fills (64 KB), then the buffer
      // ~1 MB of lines: far more than the pipe and the buffer hold.
      expect(await send(server, 4000)).toBe(4000);
      server.proc.stdout!.resume();
      const warning = await waitForLog(server, (l) => typeof l.dropped === 'number', 10_000);
      expect(warning.level).toBe(40);
      expect(warning.dropped).toBeGreaterThan(1000);
      expect(warning.msg).toBe(`${warning.dropped as number} log line(s) dropped: stdout was not being read and the log buffer (SWITCHBOARD_LOG_BUFFER) was full`);
      const accepted = server.logs.filter((l) => l.msg === 'webhook accepted').length;
      // What was kept and what was dropped add up to what was sent.
      expect(accepted + (warning.dropped as number)).toBe(4000);
    } finally {
      server.proc.kill('SIGKILL');
      await server.exit;
    }
  }, 60_000);

  it('still exits on SIGTERM, within a few seconds, when the reader never comes back', async () => {
    const server = await spawnServer(CONFIG);
    try {
      server.proc.stdout!.pause();
      expect(await send(server, 2000)).toBe(2000);
      const t0 = Date.now();
      server.proc.kill('SIGTERM');
      const exit = await Promise.race([server.exit, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000))]);
      expect(exit).toEqual({ code: 0, signal: null });
      console.log(`exited ${Date.now() - t0} ms after SIGTERM with stdout unread`);
    } finally {
      if (server.proc.exitCode === null) server.proc.kill('SIGKILL');
    }
  }, 60_000);

  it('a wrong SWITCHBOARD_LOG_BUFFER is said, and the default used', async () => {
    const server = await spawnServer(CONFIG, { SWITCHBOARD_LOG_BUFFER: 'lots' });
    try {
      const w = await waitForLog(server, (l) => l.setting === 'SWITCHBOARD_LOG_BUFFER');
      expect(w.msg).toBe('SWITCHBOARD_LOG_BUFFER must be a size of at least 4kb (e.g. 8mb), not "lots": using 8mb');
    } finally {
      server.proc.kill('SIGKILL');
      await server.exit;
    }
  });
});
