// The publisher's connection lifecycle, against the real Redis through a TCP proxy that counts
// connections: one per target, reused; closed when a reload removes the target; replaced when a
// reload changes it; all closed on shutdown; a publish never outlives the target's timeout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/types.js';
import { Publisher } from '../../../src/delivery/kinds/publisher.js';
import { load } from '../../helpers/config.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';

let proxy: TcpProxy;
beforeAll(async () => {
  proxy = await startTcpProxy(6379);
});
afterAll(async () => {
  await proxy.close();
});

function target(stream: string, timeout = '2s', db = 0): Target {
  const { config, errors } = load(
    `version: 1\nsources: { s: { verify: { scheme: none } } }\ntargets:\n  t: { kind: redis, url: "redis://127.0.0.1:${proxy.port}/${db}", stream: "${stream}", timeout: ${timeout} }\nroutes: []\n`,
  );
  if (!config) throw new Error(errors.join('\n'));
  return config.targets.get('t')!;
}
const msg = { body: Buffer.from('{}'), contentType: 'application/json', values: { stream: 'sb:publisher:test' }, headers: {}, deliveryId: 'dlv_1', topic: 't', source: 's', eventId: 'evt_1' };
const until = async (cond: () => boolean) => {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
  return cond();
};

describe('Publisher', () => {
  it('one connection per target, reused, closed by retain and close', async () => {
    const p = new Publisher();
    const t = target('sb:publisher:test');
    for (let i = 0; i < 5; i++) expect(await p.publish(t, msg)).toMatchObject({ confirmed: true });
    expect(proxy.connections()).toBe(1);
    p.retain(new Map([['t', t]]));
    expect(await p.publish(t, msg)).toMatchObject({ confirmed: true });
    expect(proxy.connections()).toBe(1);
    // A reload compiles every target anew: the same settings keep the same connection (no lost confirms, no duplicates).
    const recompiled = target('sb:publisher:test');
    p.retain(new Map([['t', recompiled]]));
    await new Promise((r) => setTimeout(r, 100));
    expect(proxy.connections()).toBe(1);
    expect(await p.publish(recompiled, msg)).toMatchObject({ confirmed: true });
    expect(proxy.connections()).toBe(1);
    // A reload that changes the target: the old connection goes, the next publish opens a new one.
    const changed = target('sb:publisher:test', '3s', 1);
    p.retain(new Map([['t', changed]]));
    expect(await until(() => proxy.connections() === 0)).toBe(true);
    expect(await p.publish(changed, msg)).toMatchObject({ confirmed: true });
    expect(proxy.connections()).toBe(1);
    // A reload that removes it.
    p.retain(new Map());
    expect(await until(() => proxy.connections() === 0)).toBe(true);
    expect(await p.publish(changed, msg)).toMatchObject({ confirmed: true });
    await p.close();
    expect(await until(() => proxy.connections() === 0)).toBe(true);
    expect(await p.publish(changed, msg)).toMatchObject({ error: 'shutting down' });
  });

  it('a broker that is down: each publish fails within the timeout, and the next one after it is back succeeds', async () => {
    const p = new Publisher();
    const t = target('sb:publisher:test', '500ms');
    proxy.cut();
    const started = Date.now();
    const failed = await p.publish(t, msg);
    expect(failed.confirmed).toBeUndefined();
    expect(failed.error).toBeTruthy();
    expect(Date.now() - started).toBeLessThan(2000);
    proxy.restore();
    expect(await p.publish(t, msg)).toMatchObject({ confirmed: true });
    await p.close();
  });
});
