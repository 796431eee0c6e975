// Review findings #9 and #10(a) of issue 17, with real processes through the Publisher: shutdown
// stops running commands (SIGTERM, then SIGKILL after a grace) and their deliveries fail, to be
// retried (never succeeded, whatever the command exits with); the exec's own timeout comes before
// the publisher's deadline, so its output excerpt is reported.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/types.js';
import { STOP_GRACE_MS } from '../../../src/delivery/kinds/exec.js';
import { Publisher } from '../../../src/delivery/kinds/publisher.js';
import type { Message } from '../../../src/delivery/kinds/types.js';
import { load } from '../../helpers/config.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-exec-stop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function target(script: string, pidFile: string, timeout = '20s'): Target {
  const { config, errors } = load(
    `version: 1\nsources: { s: { verify: { scheme: none } } }\ntargets:\n  t: { kind: exec, command: [sh, -c, ${JSON.stringify(script)}, sh, ${JSON.stringify(pidFile)}], timeout: ${timeout} }\nroutes: []\n`,
  );
  if (!config) throw new Error(errors.join('\n'));
  return config.targets.get('t')!;
}

const msg: Message = { body: Buffer.from('{}'), contentType: 'application/json', values: {}, headers: {}, deliveryId: 'dlv_stop', topic: 't', source: 's', eventId: 'evt_1' };

/** Whether a process runs (a zombie does not count). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

async function pidOf(file: string): Promise<number> {
  for (let i = 0; i < 200 && !(existsSync(file) && readFileSync(file, 'utf8').trim()); i++) await new Promise((r) => setTimeout(r, 20));
  return Number(readFileSync(file, 'utf8').trim());
}

describe('exec: shutdown', () => {
  it.each([
    ['a command that stops on SIGTERM', 'echo $$ > "$1"; exec sleep 30', 1500],
    ['a command that exits 0 on SIGTERM', `trap 'exit 0' TERM; echo $$ > "$1"; sleep 30 & wait`, 1500],
    ['a command that ignores SIGTERM (SIGKILL after the grace)', `trap '' TERM; echo $$ > "$1"; while :; do sleep 0.1; done`, STOP_GRACE_MS + 1500],
  ])('%s: stopped, its delivery failed (retried), the process gone when close returns', async (_name, script, within) => {
    const pidFile = join(dir, `pid-${Math.random().toString(36).slice(2)}`);
    const publisher = new Publisher();
    const publishing = publisher.publish(target(script, pidFile), msg);
    const pid = await pidOf(pidFile);
    expect(alive(pid)).toBe(true);
    const started = Date.now();
    await publisher.close();
    expect(Date.now() - started).toBeLessThan(within);
    expect(alive(pid)).toBe(false);
    const result = await publishing;
    expect(result.confirmed).toBeUndefined();
    expect(result.permanent).toBeUndefined();
    expect(result.error).toMatch(/shutting down/);
  });
});

describe('exec: its own timeout', () => {
  it('kills the command before the publisher gives up, and reports its output', async () => {
    const publisher = new Publisher();
    try {
      const result = await publisher.publish(target('echo started; echo oops >&2; sleep 5', join(dir, 'unused'), '1s'), msg);
      expect(result.error).toMatch(/did not finish within \d+ ms; its process group was killed; stdout "started\\n"; stderr "oops\\n"/);
    } finally {
      await publisher.close();
    }
  });
});
