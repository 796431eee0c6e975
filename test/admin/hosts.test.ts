// The admin API's Host rule (SPEC §1.8), in-process: a DNS-rebinding page
// carries its own name in Host, so /admin answers only names it serves —
// loopback names without a token; with one, also server.publicUrl's host and
// admin.hosts. The page, the API and unknown paths under /admin alike.
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import { adminApp } from '../../src/admin/app.js';
import { hostRefusal, isLoopbackName, parseHost } from '../../src/admin/auth.js';
import type { Config } from '../../src/config/types.js';
import { RejectionLog } from '../../src/ingress/rejections.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { load } from '../helpers/config.js';

const TOKEN = 'hosts-admin-token-not-real';
const BASE = `version: 1
sources:
  open: { verify: { scheme: none } }
routes: []
`;

function compiled(extra: string, env: NodeJS.ProcessEnv = {}): Config {
  const r = load(BASE + extra, env);
  expect(r.errors).toEqual([]);
  return r.config!;
}

const stores: SqliteStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});

/** The admin app mounted as the server mounts it, and a request as Node's server would hand it over. */
function adminFor(config: Config) {
  const store = new SqliteStore('sqlite::memory:');
  stores.push(store);
  const app = new Hono({ strict: false }).route('/admin', adminApp({ config: () => config, rejections: new RejectionLog(), store }));
  return (path: string, host: string | undefined, headers: Record<string, string> = {}, target = path) =>
    app.request(
      path,
      { headers: host === undefined ? headers : { ...headers, host } },
      {
        incoming: { headers: host === undefined ? {} : { host }, url: target, socket: { remoteAddress: '127.0.0.1' } },
      },
    );
}

describe('parseHost', () => {
  it.each([
    ['localhost', { name: 'localhost' }],
    ['LocalHost:8080', { name: 'localhost', port: 8080 }],
    ['localhost.:8080', { name: 'localhost', port: 8080 }],
    ['127.0.0.1.', { name: '127.0.0.1' }],
    ['[::1]:9', { name: '[::1]', port: 9 }],
    ['[0:0:0:0:0:0:0:1]', { name: '[::1]' }],
    ['Admin.Example.COM:8443', { name: 'admin.example.com', port: 8443 }],
  ])('%s', (raw, want) => expect(parseHost(raw)).toEqual(want));

  it.each(['', 'a b', 'evil.example@127.0.0.1', 'localhost/x', '%6c%6f', 'localhost:99999', '[::1', 'localhost..', 'a\\b'])('refuses %j', (raw) => {
    expect(parseHost(raw)).toBeUndefined();
  });
});

describe('isLoopbackName', () => {
  it.each(['localhost', 'app.localhost', '127.0.0.1', '127.8.9.10', '[::1]', '[::ffff:7f00:1]'])('%s is loopback', (n) => expect(isLoopbackName(n)).toBe(true));
  it.each(['evil.example', 'localhost.evil.example', 'notlocalhost', '128.0.0.1', '0.0.0.0', '10.0.0.1', '[::2]'])('%s is not', (n) => expect(isLoopbackName(n)).toBe(false));
});

describe('without admin.token', () => {
  const config = compiled('');
  const req = adminFor(config);

  it.each(['localhost:8080', 'localhost', 'LOCALHOST.:8080', '127.0.0.1:8080', '127.1.2.3', '[::1]:8080', 'inspector.localhost:8080'])('answers Host %s', async (host) => {
    expect((await req('/admin/events', host)).status).toBe(200);
    expect((await req('/admin/', host)).status).toBe(200);
  });

  it.each(['evil.example:8080', 'evil.example', 'localhost.evil.example', '192.168.1.10:8080', '0.0.0.0:8080'])('refuses Host %s with 421 naming admin.token', async (host) => {
    for (const path of ['/admin/events', '/admin/config', '/admin/', '/admin', '/admin/no-such-asset.js']) {
      const res = await req(path, host);
      expect(res.status, path).toBe(421);
      expect(((await res.json()) as { error: string }).error).toMatch(/loopback host names .* until admin\.token is set/);
    }
  });

  it('refuses a request without a Host header', async () => {
    const res = await req('/admin/events', undefined);
    expect(res.status).toBe(421);
    expect(await res.json()).toEqual({ error: 'a Host header is required' });
  });

  it('refuses an absolute request target naming another host, whatever Host says', async () => {
    const res = await req('/admin/events', 'localhost:8080', {}, 'http://evil.example:8080/admin/events');
    expect(res.status).toBe(421);
  });

  it('admin.hosts alone opens nothing, and says so at load', async () => {
    const r = load(BASE + 'admin: { hosts: [switchboard.internal] }\n');
    expect(r.lines.join('\n')).toMatch(/warning: admin\.hosts: has no effect until admin\.token is set/);
    expect((await adminFor(r.config!)('/admin/events', 'switchboard.internal')).status).toBe(421);
  });
});

describe('with admin.token', () => {
  const config = compiled(`server: { publicUrl: "https://hooks.example.com/base" }
admin:
  token: ${TOKEN}
  hosts: [switchboard.internal, "Admin.Example.com:8443", "[fd00::5]"]
`);
  const req = adminFor(config);
  const auth = { Authorization: `Bearer ${TOKEN}` };

  it.each(['localhost:8080', 'hooks.example.com', 'hooks.example.com:443', 'HOOKS.example.com.', 'switchboard.internal:8080', 'admin.example.com:8443', '[fd00::5]:8080'])(
    'answers Host %s',
    async (host) => {
      expect((await req('/admin/events', host, auth)).status).toBe(200);
      expect((await req('/admin/', host)).status).toBe(200);
    },
  );

  it.each([
    ['evil.example:8080', 'evil.example:8080'],
    ['admin.example.com:8080', 'admin.example.com:8080'],
    ['admin.example.com', 'admin.example.com'],
    ['sub.hooks.example.com', 'sub.hooks.example.com'],
  ])('refuses Host %s, naming admin.hosts and server.publicUrl', async (host, named) => {
    const res = await req('/admin/events', host, auth);
    expect(res.status).toBe(421);
    const { error } = (await res.json()) as { error: string };
    expect(error).toContain(`add "${named}" to admin.hosts`);
    expect(error).toContain('server.publicUrl');
    expect(error).not.toContain(TOKEN);
    expect((await req('/admin/', host)).status).toBe(421);
  });

  it('the Host rule comes before the token: a wrong Host learns nothing about the token', async () => {
    expect((await req('/admin/events', 'evil.example')).status).toBe(421);
    expect((await req('/admin/events', 'localhost')).status).toBe(401);
  });
});

describe('hostRefusal', () => {
  it('quotes a long or odd Host briefly', () => {
    const reason = hostRefusal(compiled(''), `${'x'.repeat(500)}.example`)!;
    expect(reason.length).toBeLessThan(300);
  });

  it('refuses a Host that is not a host name', () => {
    expect(hostRefusal(compiled(''), 'evil.example@localhost')).toMatch(/is not a host name/);
  });
});

describe('admin.hosts in the schema', () => {
  it('points at a bad entry with its position', () => {
    const r = load(BASE + `admin:\n  token: ${TOKEN}\n  hosts: ["admin.example.com/x"]\n`);
    expect(r.errors).toEqual(['routes.yaml:7:11: admin.hosts[0]: expected a host name, optionally with a port (admin.example.com, admin.example.com:8443), got "admin.example.com/x"']);
  });
});
