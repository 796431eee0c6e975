// `switchboard try` shows what each kind would publish (credentials masked), and `serve` with a
// broker that cannot be reached starts anyway, with a warning naming the target.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/config.js';
import { spawnServer, waitForLog } from '../helpers/server.js';

const ROOT = resolve(__dirname, '../..');
const CONFIG = (amqpPort: number) => `version: 1
sources:
  hook: { verify: { scheme: none } }
targets:
  rabbit: { kind: amqp, url: "amqp://app:rabbit-password-not-real@127.0.0.1:${amqpPort}/%2F", exchange: orders, routingKey: "order.{{ type }}" }
  jet: { kind: nats, url: "nats://127.0.0.1:4222", subject: "events.{{ type }}" }
  stream: { kind: redis, url: "redis://127.0.0.1:6379", stream: "audit" }
  cmd: { kind: exec, command: ["/bin/echo", "{{ type }}"] }
routes:
  - { name: r1, source: hook, target: rabbit, transform: '{ "t": type }' }
  - { name: r2, source: hook, target: jet, transform: '{ "t": type }' }
  - { name: r3, source: hook, target: stream, transform: '{ "t": type }' }
  - { name: r4, source: hook, target: cmd, transform: '{ "t": type }' }
`;

describe('kinds in try and serve', () => {
  it('try: each kind’s publication, templates rendered, the broker password masked', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'routes.yaml'), CONFIG(5672));
    writeFileSync(join(dir, 'e.json'), '{"type":"paid"}');
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/switchboard.js'), 'try', 'hook', 'e.json'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/PUBLISH amqp:\/\/127\.0\.0\.1:5672\/%2F.*orders.*order\.paid/);
    expect(r.stdout).toMatch(/events\.paid/);
    expect(r.stdout).toMatch(/XADD redis:\/\/127\.0\.0\.1:6379/);
    expect(r.stdout).toMatch(/\/bin\/echo/);
    expect(r.stdout).toContain('"t": "paid"');
    expect(r.stdout + r.stderr).not.toContain('rabbit-password-not-real');
    expect(r.stdout).toMatch(/4 of 4 routes would send 4 requests/);
  });

  it('serve: an unreachable broker is a warning at start-up, not an error', async () => {
    const server = await spawnServer(CONFIG(1));
    try {
      const line = await waitForLog(server, (l) => l.msg === 'target unreachable at start-up: its deliveries will wait and retry' && l.target === 'rabbit', 10_000);
      expect(JSON.stringify(line)).not.toContain('rabbit-password-not-real');
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      server.proc.kill('SIGTERM');
      await server.exit;
    }
  });
});
