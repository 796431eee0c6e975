// previewConfig on its own: what counts as a change. Target settings that shape a
// call without being in the request (signing, a kind's settings, timeouts) are
// changes; a route whose source was renamed says so; a source whose split:
// changed is left out (its stored events are the old split's elements).
import { describe, expect, it } from 'vitest';
import { previewConfig } from '../../src/admin/preview.js';
import { loadConfigText } from '../../src/config/load.js';
import type { StoredEvent } from '../../src/store/types.js';

const config = (target: string, opts: { source?: string; split?: string } = {}) => `version: 1
sources:
  ${opts.source ?? 'open'}: { path: /open, verify: { scheme: none }, topic: type${opts.split ? `, split: '${opts.split}'` : ''} }
targets:
  t: ${target}
routes:
  - { name: r, source: ${opts.source ?? 'open'}, topics: ["*"], transform: '{ "n": n }', target: t }
`;

function load(text: string) {
  const r = loadConfigText('/tmp/routes.yaml', text, {});
  if (!r.config) throw new Error(r.issues.map((i) => i.message).join('\n'));
  return r.config;
}

async function* events(): AsyncGenerator<StoredEvent> {
  yield {
    id: 'evt_1',
    source: 'open',
    topic: 'x',
    headers: { 'content-type': 'application/json' },
    query: {},
    body: Buffer.from('{"type":"x","n":1}'),
    contentType: 'application/json',
    receivedAt: Date.parse('2026-12-01T00:00:00Z'),
  };
}

function preview(before: string, after: string) {
  const live = load(before);
  const edited = load(after);
  return previewConfig(live, edited, events(), { deadlineMs: 5000, redact: edited.redact });
}

const URL_TARGET = '{ url: "https://example.com/x" }';

describe('previewConfig', () => {
  it('the same config: nothing changes', async () => {
    const r = await preview(config(URL_TARGET), config(URL_TARGET));
    expect([r.changes, r.routes[0]!.counts.same]).toEqual([0, 1]);
  });

  it('outbound signing added, or its key changed: a change, the key never shown', async () => {
    const key = 'whsec_ZmFrZS1zZWNyZXQtbm90LXJlYWwtMTIzNA==';
    let r = await preview(config(URL_TARGET), config(`{ url: "https://example.com/x", sign: { secret: "${key}" } }`));
    expect(r.changes).toBe(1);
    expect(r.routes[0]!.changed[0]!.diff).toContain('+# followRedirects: false; signed (Standard Webhooks)');
    const other = 'whsec_b3RoZXItZmFrZS1zZWNyZXQtbm90LXJlYWw=';
    r = await preview(config(`{ url: "https://example.com/x", sign: { secret: "${key}" } }`), config(`{ url: "https://example.com/x", sign: { secret: "${other}" } }`));
    expect(r.changes).toBe(1);
    expect(r.routes[0]!.changed[0]!.diff).toBe('a value that is masked (a secret or credential) changed; nothing else differs');
    expect(JSON.stringify(r)).not.toMatch(/ZmFrZS|b3RoZXI/);
  });

  it("a kind's settings (an exec target's env) and a timeout are changes", async () => {
    let r = await preview(config('{ kind: exec, command: ["/bin/true"], env: { MODE: "a" } }'), config('{ kind: exec, command: ["/bin/true"], env: { MODE: "b" } }'));
    expect(r.changes).toBe(1);
    expect(r.routes[0]!.changed[0]!.diff).toMatch(/^\+# settings: .*"MODE":"b"/m);
    r = await preview(config(URL_TARGET), config('{ url: "https://example.com/x", timeout: 3s }'));
    expect(r.routes[0]!.changed[0]!.diff).toMatch(/^\+# timeout: 3000 ms/m);
  });

  it('a renamed source: the route says it now takes events from the new name', async () => {
    const r = await preview(config(URL_TARGET), config(URL_TARGET, { source: 'open2' }));
    const route = r.routes.find((x) => x.route === 'r')!;
    expect(route.noLongerMatched[0]!.after).toBe('the route now takes events from "open2"');
  });

  it('a source whose split: changed: its events are left out, counted with the reason', async () => {
    const r = await preview(config(URL_TARGET), config(URL_TARGET, { split: 'items' }));
    expect(r.events).toBe(0);
    expect(Object.keys(r.skipped)[0]).toMatch(/^events of open, whose split: changed/);
  });
});
