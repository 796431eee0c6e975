// `switchboard try` and `switchboard test` see a batched body (split:) as the
// server stores it: one event per element, each with its own topic and routes.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/config.js';

const ROOT = resolve(__dirname, '../..');
const run = (dir: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/switchboard.js'), ...args], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const CONFIG = (expectBodies: string) => `version: 1
sources:
  hubspot: { verify: { scheme: hubspot, secret: fake-hubspot-secret-not-real } }
targets:
  crm: { url: "http://127.0.0.1:9/crm" }
routes:
  - name: contacts
    source: hubspot
    topics: ["contact.*"]
    transform: '{ "contact": objectId, "what": subscriptionType }'
    target: crm
tests:
  - name: a batch of three, two of them contacts
    source: hubspot
    payload: ./batch.json
    expect:
      - route: contacts
        bodies: ${expectBodies}
`;
const BATCH = JSON.stringify([
  { eventId: 1, subscriptionType: 'contact.creation', objectId: 11 },
  { eventId: 2, subscriptionType: 'deal.creation', objectId: 22 },
  { eventId: 3, subscriptionType: 'contact.deletion', objectId: 33 },
]);

describe('split in try and test', () => {
  it('test: a route gets the requests of every element it matches, in order', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'batch.json'), BATCH);
    writeFileSync(join(dir, 'routes.yaml'), CONFIG('[{ contact: 11, what: contact.creation }, { contact: 33, what: contact.deletion }]'));
    const ok = run(dir, 'test');
    expect(ok.code, ok.out + ok.err).toBe(0);
    writeFileSync(join(dir, 'routes.yaml'), CONFIG('[{ contact: 11, what: contact.creation }]'));
    const bad = run(dir, 'test');
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/bodies differ/);
  });

  it('try: one block per element, with its topic and id', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'batch.json'), BATCH);
    writeFileSync(join(dir, 'routes.yaml'), CONFIG('[]'));
    const r = run(dir, 'try', 'hubspot', 'batch.json');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/Split: 3 events \(\$\)/);
    expect(r.out.match(/— event \d of 3/g)).toHaveLength(3);
    expect(r.out).toMatch(/topic\s+deal\.creation/);
    expect(r.out).toMatch(/id\s+3\b/);
  });
});
