import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { loadSchema } from '../../src/config/schema.js';
import { schemes } from '../../src/verify/registry.js';
import { load, MINIMAL, tempDir, writeFile } from '../helpers/config.js';

describe('a valid config', () => {
  it('compiles with defaults applied', () => {
    const { config, issues } = load(MINIMAL);
    expect(issues).toEqual([]);
    expect(config!.server).toEqual({ port: 8080, basePath: '/hooks', maxBodySize: 1024 * 1024, leaseMs: 60_000, maxFanout: 1000, maxSplit: 1000, workers: availableParallelism() });
    expect(config!.retentionMs).toBe(7 * 86_400_000);
    expect(config!.store).toBe('sqlite:./data/switchboard.db');
    expect(config!.defaults).toEqual({ timeoutMs: 10_000, retry: { attempts: 10, initialDelayMs: 1000, maxDelayMs: 3_600_000 } });
    const source = config!.sources.get('github')!;
    expect(source.path).toBe('/github');
    expect(source.verify.secrets).toEqual(['test-secret-not-real']);
    expect(config!.routes[0]!.target.name).toBe('sink');
    expect(config!.routesBySource.get('github')!.map((r) => r.name)).toEqual(['all']);
    expect(config!.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives each evaluation its own result when routes share one compiled transform, even concurrently', async () => {
    // Identical expression text compiles once and is shared (between routes, and across reloads).
    const transform = '\'{ "who": sender.login, "topic": $topic, "n": $sum(items) }\'';
    const text = MINIMAL.replace(
      '  - name: all\n    source: github\n    target: sink\n',
      [`  - { name: a, source: github, target: sink, transform: ${transform} }`, `  - { name: b, source: github, target: sink, transform: ${transform} }`, ''].join('\n'),
    );
    const first = load(text).config!;
    const second = load(`${text}# reloaded\n`).config!;
    const exprs = [first.routes[0]!, first.routes[1]!, second.routes[0]!].map((r) => r.transform!);
    const runs = Array.from({ length: 30 }, (_, i) => exprs[i % 3]!.evaluate({ sender: { login: `user${i}` }, items: Array.from({ length: i }, (_, k) => k) }, { topic: `t${i}` }));
    const results = await Promise.all(runs);
    results.forEach((r, i) => expect(r).toEqual({ who: `user${i}`, topic: `t${i}`, n: Array.from({ length: i }, (_, k) => k).reduce((a, b) => a + b, 0) }));
  });

  it('finds the routes for a topic through the index, in file order', () => {
    const text = MINIMAL.replace(
      '  - name: all\n    source: github\n    target: sink\n',
      [
        '  - { name: a, source: github, topics: [push], target: sink }',
        '  - { name: b, source: github, topics: ["issues.*"], target: sink }',
        '  - { name: c, source: github, topics: [issues.opened, push], target: sink }',
        '  - { name: d, source: github, target: sink }',
        '  - { name: e, source: github, topics: [issues.opened], target: sink }',
        '',
      ].join('\n'),
    );
    const { config, errors } = load(text);
    expect(errors).toEqual([]);
    const names = (topic: string) => config!.routesFor('github', topic).map((r) => r.name);
    expect(names('issues.opened')).toEqual(['b', 'c', 'd', 'e']);
    expect(names('push')).toEqual(['a', 'c', 'd']);
    expect(names('release.published')).toEqual(['d']);
    expect(config!.routesFor('nope', 'push')).toEqual([]);
  });

  it('is immutable', () => {
    const { config } = load(MINIMAL);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config!.routes)).toBe(true);
    expect(Object.isFrozen(config!.routes[0])).toBe(true);
    expect(() => {
      (config!.server as { port: number }).port = 1;
    }).toThrow();
  });

  it('parses durations, sizes and rates', () => {
    const { config, errors } = load(
      `${MINIMAL}server: { maxBodySize: 512kb }
defaults: { timeout: 1500ms, retry: { attempts: 3, initialDelay: 2s, maxDelay: 1m } }
`.replace('    url: http://127.0.0.1:9/sink', '    url: http://127.0.0.1:9/sink\n    timeout: 5s\n    rateLimit: 30/m'),
    );
    expect(errors).toEqual([]);
    expect(config!.server.maxBodySize).toBe(512 * 1024);
    expect(config!.defaults.timeoutMs).toBe(1500);
    const sink = config!.targets.get('sink')!;
    expect(sink.timeoutMs).toBe(5000);
    expect(sink.rateLimit).toEqual({ count: 30, perMs: 60_000 });
    expect(sink.retry).toEqual({ attempts: 3, initialDelayMs: 2000, maxDelayMs: 60_000 });
  });

  it('the example file is valid with no environment variables set', () => {
    const result = loadConfig('routes.example.yaml', { env: {} });
    expect(result.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(result.config!.routes.length).toBeGreaterThanOrEqual(6);
    expect(result.config!.tests.length).toBeGreaterThanOrEqual(result.config!.routes.length);
  });

  it('the schema lists exactly the registered verification schemes', () => {
    const schema = loadSchema() as { definitions: { verify: { properties: { scheme: { enum: string[] } } } } };
    expect([...schema.definitions.verify.properties.scheme.enum].sort()).toEqual([...schemes.keys()].sort());
  });
});

describe('bad input: one clear, positioned error each', () => {
  it('tab indentation', () => {
    const { errors, config } = load('version: 1\nsources:\n\tgithub: {}\n');
    expect(config).toBeUndefined();
    expect(errors[0]).toMatch(/^routes\.yaml:3:1: .*[Tt]ab/);
  });

  it('an unclosed quote', () => {
    const { errors } = load('version: 1\nsources:\n  github:\n    path: "/gh\nroutes: []\n');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors).toEqual(['routes.yaml:4:11: unclosed double quote: the string that starts here never ends']);
  });

  it('a wrong type', () => {
    const { errors } = load(`${MINIMAL}server:\n  port: eighty\n`);
    expect(errors).toEqual(['routes.yaml:15:9: server.port: expected a whole number, got the text "eighty"']);
  });

  it('a missing required key', () => {
    const { errors } = load(MINIMAL.replace('    url: http://127.0.0.1:9/sink\n', '    method: POST\n'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^routes\.yaml:8:3: targets\.sink: an http target needs "url" \(or a kind: /);
  });

  it('an unknown key, with a hint', () => {
    const { errors } = load(MINIMAL.replace('    target: sink', '    trnsform: x\n    target: sink'));
    expect(errors).toEqual(['routes.yaml:13:5: unknown key "trnsform" in routes[0]; did you mean "transform"?']);
  });

  it('an unknown key far from any known one gets no hint', () => {
    const { errors } = load(`${MINIMAL}colour: blue\n`);
    expect(errors).toEqual(['routes.yaml:14:1: unknown key "colour" in (top level)']);
  });

  it('an unknown scheme, with a hint', () => {
    const { errors } = load(MINIMAL.replace('scheme: github', 'scheme: githib'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^routes\.yaml:5:15: sources\.github\.verify\.scheme: "githib" is not one of .*; did you mean "github"\?$/);
  });

  it('a scheme missing a required field', () => {
    const { errors } = load(MINIMAL.replace('      secret: test-secret-not-real\n', ''));
    expect(errors).toEqual(['routes.yaml:4:5: sources.github.verify: scheme "github" needs "secret"']);
  });

  it('hmac needs a header', () => {
    const { errors } = load(MINIMAL.replace('scheme: github', 'scheme: hmac'));
    expect(errors).toEqual(['routes.yaml:4:5: sources.github.verify: say where the signature is: "header" (a header name) or "signatureFrom" (a path into the body)']);
  });

  it('a JSONata syntax error in a multi-line transform points inside the block', () => {
    const text = MINIMAL.replace('    target: sink', ['    transform: |', '      {', '        "text": sender.login &', '      }', '    target: sink'].join('\n'));
    const { errors } = load(text);
    // line 16 is the closing brace, which JSONata finds where an operand should be
    expect(errors).toEqual(['routes.yaml:16:7: routes[0].transform: JSONata syntax error: The symbol "}" cannot be used as a unary operator']);
  });

  it('a JSONata syntax error in a one-line filter', () => {
    const { errors } = load(MINIMAL.replace('    target: sink', '    filter: action = "opened" and (\n    target: sink'));
    expect(errors).toEqual(['routes.yaml:13:35: routes[0].filter: JSONata syntax error: Expected ")" before end of expression']);
  });

  it('a JSONata syntax error inside a {{ }} URL template', () => {
    const { errors } = load(MINIMAL.replace('url: http://127.0.0.1:9/sink', 'url: http://127.0.0.1:9/issues/{{ issue.number + }}'));
    expect(errors).toEqual(['routes.yaml:9:52: targets.sink.url: JSONata syntax error: Unexpected end of expression']);
  });

  it('a route referencing a missing target, with a hint', () => {
    const { errors } = load(MINIMAL.replace('    target: sink', '    target: snik'));
    expect(errors).toEqual(['routes.yaml:13:13: route "all": unknown target "snik"; did you mean "sink"?']);
  });

  it('a route referencing a missing source', () => {
    const { errors } = load(MINIMAL.replace('    source: github', '    source: stripe'));
    expect(errors).toEqual(['routes.yaml:12:13: route "all": unknown source "stripe"']);
  });

  it('duplicate route names', () => {
    const { errors } = load(`${MINIMAL}  - name: all\n    source: github\n    target: sink\n`);
    expect(errors).toEqual(['routes.yaml:14:11: duplicate route name "all" (also routes[0])']);
  });

  it('duplicate source paths', () => {
    const text = MINIMAL.replace('targets:', '  gh2:\n    path: /github\n    verify: { scheme: github, secret: another-fake-secret }\ntargets:');
    const { errors } = load(text);
    expect(errors).toEqual(['routes.yaml:8:11: sources.gh2: path /hooks/github is already used by source "github"']);
  });

  it('duplicate keys', () => {
    const { errors } = load(MINIMAL.replace('  sink:\n', '  sink:\n    url: http://127.0.0.1:9/a\n'));
    expect(errors[0]).toMatch(/^routes\.yaml:10:5: .*unique/);
  });

  it('a bad duration, size and rate', () => {
    const { errors } = load(
      `${MINIMAL}server: { maxBodySize: lots }\ndefaults: { timeout: 5 seconds }\n`.replace('    url: http://127.0.0.1:9/sink', '    url: http://127.0.0.1:9/sink\n    rateLimit: fast'),
    );
    expect(errors).toEqual([
      'routes.yaml:10:16: targets.sink.rateLimit: expected a rate like 10/s, 30/m or 1000/h, got the text "fast"',
      'routes.yaml:15:24: server.maxBodySize: expected a size like 512kb or 1mb, got the text "lots"',
      'routes.yaml:16:22: defaults.timeout: expected a duration like 500ms, 5s, 10m, 1h or 7d, got the text "5 seconds"',
    ]);
  });

  it('a target URL that is not http(s)', () => {
    const { errors } = load(MINIMAL.replace('url: http://127.0.0.1:9/sink', 'url: ftp://example.com/x'));
    expect(errors).toEqual(['routes.yaml:9:10: targets.sink.url: not an http(s) URL (expected something like https://example.com/path)']);
  });

  it('an empty file', () => {
    expect(load('').errors).toEqual(['routes.yaml:1:1: the file is empty: it needs at least "version: 1", "sources" and "routes"']);
  });

  it('a file that does not exist', () => {
    const result = loadConfig('/nonexistent/routes.yaml');
    expect(result.issues.map((i) => i.message)).toEqual(['cannot read config file (no such file)']);
  });

  it('reports every problem at once, sorted by position', () => {
    const text = MINIMAL.replace('scheme: github', 'scheme: githib').replace('    target: sink', '    target: snik\n    filter: "("') + 'server: { port: 0 }\n';
    const { errors } = load(text);
    expect(errors.map((e) => e.split(':').slice(1, 3).join(':'))).toEqual(['5:15', '13:13', '14:14', '15:17']);
  });

  it('warns about scheme: none; a key the scheme does not take is an error (it was silently ignored: a typo or a wrong scheme)', () => {
    const { config, lines } = load(MINIMAL.replace('scheme: github', 'scheme: none'));
    expect(config).toBeUndefined();
    expect(lines).toEqual([
      'routes.yaml:5:7: warning: sources.github: verification is off (scheme: none): anyone who can reach this URL can send events',
      'routes.yaml:6:7: sources.github.verify.secret: scheme "none" has no setting "secret" (its settings: verifyToken)',
    ]);
    const { config: ok, lines: warned } = load(MINIMAL.replace('scheme: github', 'scheme: none').replace(/\n\s*secret: test-secret-not-real/, ''));
    expect(ok).toBeDefined();
    expect(warned).toEqual(['routes.yaml:5:7: warning: sources.github: verification is off (scheme: none): anyone who can reach this URL can send events']);
  });

  it('egress: hosts of target URLs are allowed, plus egress.allow; a templated host warns when the list is empty', () => {
    const text = MINIMAL.replace('url: http://127.0.0.1:9/sink', 'url: https://Hooks.Example.com:8443/x/{{ id }}') + '  - { name: dyn, source: github, target: { url: "{{ callback }}" } }\n';
    const { config, lines } = load(text);
    expect([...config!.egress.origins]).toEqual(['https://hooks.example.com:8443']);
    expect(lines).toEqual(['routes.yaml:14:49: warning: routes[1].target.url: its host comes from a template, and egress.allow is empty: every call would be refused']);
    const allowed = load(`${text}egress: { allow: [api.partner.io, "*.example.net", "https://x.example.org/path"] }\n`);
    expect(allowed.lines).toEqual([]);
    expect(allowed.config!.egress.allow.map((r) => r.host)).toEqual([
      { kind: 'name', name: 'api.partner.io' },
      { kind: 'suffix', suffix: '.example.net' },
      { kind: 'name', name: 'x.example.org' },
    ]);
  });

  it('target signing: the secret must be a Standard Webhooks secret', () => {
    const good = load(MINIMAL.replace('url: http://127.0.0.1:9/sink', 'url: http://127.0.0.1:9/sink\n    sign: { secret: whsec_ZmFrZS1zaWduaW5nLWtleQ== }'));
    expect(good.errors).toEqual([]);
    expect(good.config!.targets.get('sink')!.sign!.key.toString()).toBe('fake-signing-key');
    expect(good.config!.secrets).toContain('whsec_ZmFrZS1zaWduaW5nLWtleQ==');
    const bad = load(MINIMAL.replace('url: http://127.0.0.1:9/sink', 'url: http://127.0.0.1:9/sink\n    sign: { secret: "not base64!" }'));
    expect(bad.errors[0]).toMatch(/^routes\.yaml:10:21: targets\.sink\.sign\.secret: a Standard Webhooks secret is base64/);
  });

  it('the lease must outlast the longest target timeout', () => {
    const { errors } = load(`${MINIMAL}server: { lease: 5s }\n`.replace('    url: http://127.0.0.1:9/sink', '    url: http://127.0.0.1:9/sink\n    timeout: 30s'));
    expect(errors).toEqual(["routes.yaml:15:18: server.lease (5000 ms) must be longer than the longest target timeout (30000 ms) plus the worker's margin (600 ms)"]);
  });

  it('checks a Standard Webhooks secret', () => {
    const { errors } = load(MINIMAL.replace('scheme: github', 'scheme: standard-webhooks'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^routes\.yaml:6:15: sources\.github\.verify\.secret: a Standard Webhooks secret is base64/);
  });
});

describe('environment interpolation', () => {
  it('substitutes variables, defaults and files, and retypes whole plain values', () => {
    const dir = tempDir();
    const secretFile = writeFile(dir, 'gh-secret', 'file-secret-value-123\n');
    // (function replacers: in a replacement string "$$" would mean "$")
    const text =
      MINIMAL.replace('secret: test-secret-not-real', () => `secret: \${file:${secretFile}}`).replace(
        'url: http://127.0.0.1:9/sink',
        () => 'url: ${SINK_URL:-http://127.0.0.1:9/default}\n    headers: { Authorization: "Bearer ${SINK_TOKEN}", X-Literal: "$${NOT_A_VAR}" }',
      ) + 'server:\n  port: ${SB_PORT:-9090}\n';
    const { config, errors } = load(text, { SINK_TOKEN: 'token-from-env-123' });
    expect(errors).toEqual([]);
    expect(config!.sources.get('github')!.verify.secrets).toEqual(['file-secret-value-123']);
    expect(config!.targets.get('sink')!.url.text).toBe('http://127.0.0.1:9/default');
    expect(config!.targets.get('sink')!.headers.map(([n, t]) => [n, t.text])).toEqual([
      ['Authorization', 'Bearer token-from-env-123'],
      ['X-Literal', '${NOT_A_VAR}'],
    ]);
    expect(config!.server.port).toBe(9090);
    expect(config!.secrets).toContain('token-from-env-123');
    expect(config!.secrets).toContain('file-secret-value-123');
    // a default is written in the file: not a secret on that account
    expect(config!.secrets).not.toContain('http://127.0.0.1:9/default');
  });

  it('an unset variable is an error naming it, at its position, without a cascade', () => {
    const { errors } = load(MINIMAL.replace('secret: test-secret-not-real', 'secret: prefix-${GH_SECRET}'));
    expect(errors).toEqual(['routes.yaml:6:22: environment variable GH_SECRET is not set (set it, or give a default with ${GH_SECRET:-value})']);
  });

  it('a missing secret file', () => {
    const { errors } = load(MINIMAL.replace('secret: test-secret-not-real', 'secret: ${file:/nonexistent/secret}'));
    expect(errors).toEqual(['routes.yaml:6:15: cannot read secret file "/nonexistent/secret" (ENOENT)']);
  });

  it('never echoes an interpolated value in an error', () => {
    const { lines } = load(MINIMAL.replace('secret: test-secret-not-real', 'secret: ${GH}').replace('scheme: github', 'scheme: standard-webhooks'), {
      GH: 'super-private-value!!',
    });
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).not.toContain('super-private-value');
  });

  it('PORT, SWITCHBOARD_STORE and SWITCHBOARD_ADMIN_TOKEN override the file', () => {
    const { config } = load(MINIMAL, { PORT: '7070', SWITCHBOARD_STORE: 'postgres://localhost/test', SWITCHBOARD_ADMIN_TOKEN: 'admin-token-fake' });
    expect(config!.server.port).toBe(7070);
    expect(config!.store).toBe('postgres://localhost/test');
    expect(config!.admin.token).toBe('admin-token-fake');
    expect(config!.secrets).toContain('admin-token-fake');
  });
});

describe('tests: section', () => {
  it('resolves payload files relative to the config and checks routes belong to the source', () => {
    const dir = tempDir();
    writeFile(dir, 'p.json', '{}');
    const file = writeFile(
      dir,
      'routes.yaml',
      `${MINIMAL}tests:
  - name: ok
    source: github
    payload: ./p.json
    expect: [{ route: all }]
  - name: missing file
    source: github
    payload: ./nope.json
    expect: [{ route: al }]
`,
    );
    const result = loadConfig(file, { env: {} });
    const msgs = result.issues.map((i) => `${i.line}:${i.col}: ${i.severity}: ${i.message}`);
    // a missing fixture does not stop the server from starting: a warning here, a failing case in `switchboard test`
    expect(msgs[0]).toMatch(/^21:14: warning: test "missing file": payload file "\.\/nope\.json" not found/);
    expect(msgs[1]).toBe('22:23: error: test "missing file": unknown route "al"; did you mean "all"?');
    expect(readFileSync(file, 'utf8')).toContain('./p.json');
  });
});

describe('the lease and the timeouts (review of issue 14)', () => {
  it('a lease that cannot cover the longest timeout plus the worker’s margin is an error (deliveries would wait forever)', () => {
    const { errors } = load(MINIMAL + 'server: { lease: 11s }\ndefaults: { timeout: 10s }\n');
    expect(errors.join('\n')).toMatch(/server\.lease \(11000 ms\) must be longer than the longest target timeout \(10000 ms\) plus the worker's margin \(1100 ms\)/);
    expect(load(MINIMAL + 'defaults: { timeout: 59s }\n').errors.join('\n')).toMatch(/server\.lease \(60000 ms\) must be longer/);
    expect(load(MINIMAL + 'server: { lease: 12s }\ndefaults: { timeout: 10s }\n').errors).toEqual([]);
  });
});

describe('server.workers', () => {
  it('is the file’s number, SWITCHBOARD_WORKERS overrides it, and a bad value names the variable', () => {
    const text = MINIMAL.replace('version: 1', 'version: 1\nserver: { workers: 3 }');
    expect(load(text).config!.server.workers).toBe(3);
    expect(load(text, { SWITCHBOARD_WORKERS: '1' }).config!.server.workers).toBe(1);
    const bad = load(text, { SWITCHBOARD_WORKERS: '0' });
    expect(bad.config).toBeUndefined();
    expect(bad.issues.map((i) => i.message).join('\n')).toMatch(/SWITCHBOARD_WORKERS="0" is not a number of threads from 1 to 64/);
    expect(load(MINIMAL.replace('version: 1', 'version: 1\nserver: { workers: 0 }')).config).toBeUndefined();
  });
});
