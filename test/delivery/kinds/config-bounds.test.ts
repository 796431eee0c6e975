// Review findings #7 and #10(c, e, f) of issue 17, at config load: a NATS token in the URL's user
// part is a credential, masked wherever the URL is shown (try included); subjects and topics that
// are the server's own are config errors when static (or when a template's literal text starts with
// them); headers on kinds that have nowhere to put them, and a timeout of 0, are config errors.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tryCommand } from '../../../src/commands/try.js';
import { createRedactor } from '../../../src/observe/redact.js';
import { load, tempDir } from '../../helpers/config.js';

const head = 'version: 1\nsources: { s: { verify: { scheme: none } } }\n';
const withTarget = (t: string, extra = '') => `${head}${extra}targets:\n  t: ${t}\nroutes:\n  - { name: r, source: s, target: t }\n`;

describe('nats credentials in the URL', () => {
  it.each([
    ['a token (the user part)', 'nats://s3cr3t-token-abc@127.0.0.1:4222', 's3cr3t-token-abc'],
    ['a percent-encoded token', 'nats://s3cr3t%2Ftoken-abc@127.0.0.1:4222', 's3cr3t/token-abc'],
    ['user and password', 'nats://svc:pa55word-xyz@127.0.0.1:4222', 'pa55word-xyz'],
  ])('%s is masked wherever the URL is shown', async (_what, url, secret) => {
    const { config, errors } = load(withTarget(`{ kind: nats, url: "${url}", subject: "orders.{{ topic }}" }`));
    expect(errors).toEqual([]);
    const redact = createRedactor(config!.secrets);
    const t = config!.targets.get('t')!;
    expect(redact.text(t.url.text)).not.toContain(secret);
    expect(redact.text(`cannot connect to ${url}: refused`)).not.toContain(secret);

    // `switchboard try` prints the route's target and request.
    const dir = tempDir();
    const file = join(dir, 'routes.yaml');
    writeFileSync(file, withTarget(`{ kind: nats, url: "${url}", subject: "orders.{{ topic }}" }`));
    writeFileSync(join(dir, 'p.json'), '{"a":1}');
    const lines: string[] = [];
    const io = { out: (l = '') => lines.push(l), err: (l = '') => lines.push(l), color: false, env: {}, cwd: dir };
    await tryCommand({ config: file, source: 's', payloadFile: join(dir, 'p.json'), headers: {}, query: {} }, io);
    const out = lines.join('\n');
    expect(out).toContain('nats');
    expect(out).not.toContain(secret);
    expect(out).not.toContain(encodeURIComponent(secret));
  });
});

describe("the server's own subjects and topics", () => {
  it.each([
    ['{ kind: nats, url: "nats://127.0.0.1:4222", subject: "$KV.bucket.key" }', /subject.*server.s own/],
    ['{ kind: nats, url: "nats://127.0.0.1:4222", subject: "$O.store.{{ topic }}" }', /subject.*server.s own/],
    ['{ kind: nats, url: "nats://127.0.0.1:4222", subject: "$JS.API.STREAM.DELETE.x" }', /subject.*server.s own/],
    ['{ kind: nats, url: "nats://127.0.0.1:4222", subject: "$SYS.REQ.x" }', /subject.*server.s own/],
    ['{ kind: nats, url: "nats://127.0.0.1:4222", subject: "orders.{{ topic }}.' + 'x'.repeat(1100) + '" }', /subject.*longer than 1024 bytes/],
    ['{ kind: mqtt, url: "mqtt://127.0.0.1:1883", topic: "$CONTROL/dynamic-security/v1" }', /topic.*\$.*broker/],
    ['{ kind: mqtt, url: "mqtt://127.0.0.1:1883", topic: "$SYS/{{ topic }}" }', /topic.*\$.*broker/],
    ['{ kind: mqtt, url: "mqtt://127.0.0.1:1883", topic: "$share/g/x" }', /topic.*\$.*broker/],
  ])('%s is a config error', (t, why) => {
    const { errors } = load(withTarget(t));
    expect(errors.join('\n')).toMatch(why);
  });

  it('a template that may render anything is judged per delivery', () => {
    expect(load(withTarget('{ kind: nats, url: "nats://127.0.0.1:4222", subject: "{{ topic }}" }')).errors).toEqual([]);
    expect(load(withTarget('{ kind: mqtt, url: "mqtt://127.0.0.1:1883", topic: "{{ topic }}" }')).errors).toEqual([]);
  });
});

describe('headers on kinds without a place for them', () => {
  it.each([
    ['redis', '{ kind: redis, url: "redis://127.0.0.1:6379", stream: "s", headers: { x-a: "1" } }'],
    ['exec', '{ kind: exec, command: [/bin/true], headers: { x-a: "{{ topic }}" } }'],
  ])('%s: a config error naming the target', (kind, t) => {
    const { errors } = load(withTarget(t));
    expect(errors.join('\n')).toMatch(new RegExp(`targets\\.t\\.headers.*${kind} targets take no headers`));
  });
  it('no headers (or an empty map) is fine', () => {
    expect(load(withTarget('{ kind: redis, url: "redis://127.0.0.1:6379", stream: "s", headers: {} }')).errors).toEqual([]);
    expect(load(withTarget('{ kind: exec, command: [/bin/true] }')).errors).toEqual([]);
  });
});

describe('a timeout of 0', () => {
  it.each([
    ['an http target', '{ url: "http://127.0.0.1:9/x", timeout: 0s }', ''],
    ['a kind target', '{ kind: exec, command: [/bin/true], timeout: 0ms }', ''],
    ['one that rounds to 0', '{ kind: exec, command: [/bin/true], timeout: 0.0001s }', ''],
    ['the default', '{ kind: exec, command: [/bin/true] }', 'defaults: { timeout: 0s }\n'],
  ])('%s: a config error', (_what, t, extra) => {
    const { errors } = load(withTarget(t, extra));
    expect(errors.join('\n')).toMatch(/timeout: a timeout must be longer than 0/);
  });
  it('1ms is accepted', () => {
    expect(load(withTarget('{ kind: exec, command: [/bin/true], timeout: 1ms }')).errors).toEqual([]);
  });
});
