// The real CLI, as a user runs it: a child process, real files, exit codes.
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/config.js';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/switchboard.js');
const EXAMPLE = join(ROOT, 'routes.example.yaml');
const EXAMPLE_TEXT = readFileSync(EXAMPLE, 'utf8');

/** Runs the CLI with a clean environment (no secrets set: the example's defaults apply). */
function run(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', ...opts.env },
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr, all: r.stdout + r.stderr };
}

/** A copy of the example (with its fixtures) in a temp dir, edited by `edit`. */
function brokenCopy(edit: (text: string) => string): string {
  const dir = tempDir();
  cpSync(join(ROOT, 'fixtures'), join(dir, 'fixtures'), { recursive: true });
  const file = join(dir, 'routes.yaml');
  const text = edit(EXAMPLE_TEXT);
  expect(text).not.toBe(EXAMPLE_TEXT);
  writeFileSync(file, text);
  return file;
}

/** 1-based line number of the first line containing `needle` in the example. */
function lineOf(needle: string, text = EXAMPLE_TEXT): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i === -1) throw new Error(`not in the example: ${needle}`);
  return i + 1;
}

function noStackTrace(output: string) {
  expect(output).not.toMatch(/\n\s+at .+:\d+:\d+\)?/);
  expect(output).not.toContain('internal error');
}

describe('switchboard validate', () => {
  it('passes on the example with a one-line summary', () => {
    const r = run(['validate', '-c', EXAMPLE]);
    expect(r.err).toBe('');
    expect(r.out.trim()).toBe(`✓ ${EXAMPLE} is valid: 6 sources, 5 targets, 7 routes, 10 tests`);
    expect(r.code).toBe(0);
  });

  it('uses ./routes.yaml by default and SWITCHBOARD_CONFIG when set', () => {
    const file = brokenCopy((t) => t.replace('port: 8080', 'port: 8081'));
    const dir = resolve(file, '..');
    expect(run(['validate'], { cwd: dir }).code).toBe(0);
    const other = tempDir();
    expect(run(['validate'], { cwd: other, env: { SWITCHBOARD_CONFIG: file } }).code).toBe(0);
    const missing = run(['validate'], { cwd: other });
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('routes.yaml:1:1: cannot read config file (no such file)');
  });

  const cases: [string, (t: string) => string, (file: string) => RegExp][] = [
    ['wrong type', (t) => t.replace('  port: 8080 ', '  port: eighty '), (f) => new RegExp(`^${f}:${lineOf('  port: 8080')}:9: server\\.port: expected a whole number`, 'm')],
    ['tab indentation', (t) => t.replace('  maxBodySize: 1mb', '\tmaxBodySize: 1mb'), (f) => new RegExp(`^${f}:${lineOf('maxBodySize: 1mb')}:1: .*[Tt]ab`, 'm')],
    ['unclosed quote', (t) => t.replace('prefix: "sha256="', 'prefix: "sha256='), (f) => new RegExp(`^${f}:${lineOf('prefix: "sha256="')}:15: unclosed double quote`, 'm')],
    [
      'unknown key',
      (t) => t.replace('    topics: [issue_comment.created]', '    topic: [issue_comment.created]'),
      (f) => new RegExp(`^${f}:${lineOf('topics: [issue_comment.created]')}:5: unknown key "topic" in routes\\[0\\]; did you mean "topics"\\?`, 'm'),
    ],
    [
      'missing required key',
      (t) => t.replace('    url: ${HELPDESK_URL:-http://127.0.0.1:9999/helpdesk}/tickets\n', '    method: POST\n'),
      (f) => new RegExp(`^${f}:${lineOf('  helpdesk:')}:3: targets\\.helpdesk: an http target needs "url" \\(or a kind: amqp`, 'm'),
    ],
    ['unknown scheme', (t) => t.replace('scheme: stripe ', 'scheme: strip '), (f) => new RegExp(`^${f}:${lineOf('scheme: stripe ')}:15: .*"strip" is not one of .*did you mean "stripe"\\?`, 'm')],
    [
      'JSONata error in a multi-line transform',
      (t) => t.replace('"currency": $uppercase(data.object.currency),', '"currency": $uppercase(data.object.currency,'),
      // JSONata notices the missing ")" at the next ":"
      (f) => new RegExp(`^${f}:${lineOf('"paidAt": $fromMillis(created * 1000),')}:17: routes\\[2\\]\\.transform: JSONata syntax error: Expected "\\)", got ":"`, 'm'),
    ],
    [
      'missing target',
      (t) => t.replace('    target: crm-contacts', '    target: crm-contact'),
      (f) => new RegExp(`^${f}:${lineOf('    target: crm-contacts')}:13: route "new-users-to-crm": unknown target "crm-contact"; did you mean "crm-contacts"\\?`, 'm'),
    ],
    [
      'unset env var',
      (t) => t.replace('${STRIPE_WEBHOOK_SECRET:-whsec_demo_stripe_secret}', '${STRIPE_WEBHOOK_SECRET}'),
      (f) => new RegExp(`^${f}:${lineOf('STRIPE_WEBHOOK_SECRET')}:15: environment variable STRIPE_WEBHOOK_SECRET is not set`, 'm'),
    ],
  ];

  it.each(cases)('%s: one positioned error, exit 1, no stack trace', (_name, edit, pattern) => {
    const file = brokenCopy(edit);
    const r = run(['validate', '-c', file]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(pattern(file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    expect(r.err).toMatch(/: 1 error$/m);
    noStackTrace(r.all);
  });
});

describe('switchboard test', () => {
  it('runs every case in the example', () => {
    const r = run(['test', '-c', EXAMPLE]);
    expect(r.out).toMatch(/^10 passed, 0 failed$/m);
    expect(r.out.match(/^✓ /gm)).toHaveLength(10);
    expect(r.code).toBe(0);
  });

  it('fails a wrong expectation with a readable diff, and exits 1', () => {
    const file = brokenCopy((t) => t.replace('amount: 2499', 'amount: 2500'));
    const r = run(['test', '-c', file]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^✗ a paid invoice is posted to the customer's CRM record/m);
    expect(r.out).toContain('body differs:');
    expect(r.out).toMatch(/^\s+-\s+"amount": 2500,$/m);
    expect(r.out).toMatch(/^\s+\+\s+"amount": 2499,$/m);
    expect(r.out).toMatch(/^9 passed, 1 failed$/m);
  });

  it('fails when a route expected to be skipped sends, and vice versa', () => {
    const file = brokenCopy((t) => t.replace('payload: ./fixtures/github/issue_comment.by-outsider.json', 'payload: ./fixtures/github/issue_comment.created.json'));
    const r = run(['test', '-c', file]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('expected to be skipped, but it sends 1 request');
  });

  it('a test whose payload file is missing: a warning at load, and that case fails', () => {
    const file = brokenCopy((t) => t.replace('./fixtures/slack/app_mention.json', './fixtures/slack/nope.json'));
    const r = run(['test', '-c', file]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`:${lineOf('./fixtures/slack/app_mention.json')}:14: warning: test "a Slack mention opens a ticket": payload file "./fixtures/slack/nope.json" not found`));
    expect(r.out).toMatch(/^✗ a Slack mention opens a ticket/m);
    expect(r.out).toMatch(/cannot read payload file .*nope\.json \(no such file\)/);
    expect(r.out).toMatch(/^9 passed, 1 failed$/m);
    expect(run(['validate', '-c', file]).code).toBe(0);
  });
});

describe('switchboard try', () => {
  it('shows topic, id, verdicts and the exact request, sending nothing', () => {
    const r = run(['try', 'github', 'fixtures/github/issue_comment.created.json', '-c', EXAMPLE, '-H', 'X-GitHub-Event: issue_comment', '-H', 'X-GitHub-Delivery: 72d3162e-0000']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ {2}topic {3}issue_comment\.created$/m);
    expect(r.out).toMatch(/^ {2}id {6}72d3162e-0000$/m);
    expect(r.out).toContain('✓ member-comments-to-slack → slack: would send 1 request');
    expect(r.out).toContain('POST http://127.0.0.1:9999/slack');
    expect(r.out).toContain('"text": "octocat on Spelling error in the README file: Hello"');
    expect(r.out).toContain('· new-issues-to-discord → discord: topic "issue_comment.created" does not match');
    expect(r.out).toMatch(/Nothing was sent\.$/m);
  });

  it('masks secrets from the environment in URLs and headers', () => {
    const env = { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/TFAKE/BFAKE/notarealtoken', CRM_API_TOKEN: 'crm-token-not-real-42' };
    const slack = run(['try', 'partner', 'fixtures/partner/shipments.json', '-c', EXAMPLE], { env });
    expect(slack.out).toContain('POST https://hooks.slack.com/***');
    expect(slack.all).not.toContain('notarealtoken');
    const crm = run(['try', 'stripe', 'fixtures/stripe/invoice.paid.json', '-c', EXAMPLE], { env });
    expect(crm.out).toContain('Authorization: Bearer ***');
    expect(crm.all).not.toContain('crm-token-not-real-42');
  });

  it('reads form-encoded payloads', () => {
    const r = run(['try', 'twilio', 'fixtures/twilio/incoming-sms.form', '-c', EXAMPLE]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ {2}body {4}form, \d+ bytes$/m);
    expect(r.out).toContain('"content": "SMS from +14155550100: Is the shop open on Sunday?"');
  });

  it('shows filtered routes and the reason', () => {
    const r = run(['try', 'github', 'fixtures/github/issue_comment.by-outsider.json', '-c', EXAMPLE, '-H', 'X-GitHub-Event: issue_comment']);
    expect(r.out).toContain('· member-comments-to-slack → slack: filtered (filter gave false)');
  });

  it('shows a transform error with its message and exits 1', () => {
    const file = brokenCopy((t) => t.replace('"amount": data.object.amount_paid / 100,', '"amount": $number("x"),'));
    const r = run(['try', 'stripe', join(ROOT, 'fixtures/stripe/invoice.paid.json'), '-c', file]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/✗ paid-invoices-to-crm → crm-invoices: transform failed: Unable to cast value to a number/);
    noStackTrace(r.all);
  });

  it('a payload file that does not exist', () => {
    const r = run(['try', 'github', 'nope.json', '-c', EXAMPLE]);
    expect(r.code).toBe(1);
    expect(r.err.trim()).toBe('cannot read payload file nope.json (no such file)');
  });

  it('a payload file that is not JSON', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.json'), '{"action": "opened",');
    const r = run(['try', 'github', join(dir, 'bad.json'), '-c', EXAMPLE]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.json: body is not valid JSON/);
    noStackTrace(r.all);
  });

  it('an unknown source, with a hint', () => {
    const r = run(['try', 'githb', 'fixtures/github/issues.opened.json', '-c', EXAMPLE]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^unknown source "githb"; did you mean "github"\? \(sources: github, stripe/m);
  });

  it('bad usage exits 2 with help', () => {
    expect(run(['try', 'github']).code).toBe(2);
    expect(run(['try', 'github', 'x.json', '-H', 'no colon']).err).toContain(`bad header "no colon"`);
    expect(run(['frobnicate']).err).toContain('unknown command "frobnicate"');
    expect(run(['validate', '--nope']).code).toBe(2);
    expect(run(['--version']).out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('routes.example.yaml: the commented kinds examples', () => {
  it('validate once uncommented (a RabbitMQ route and a command route)', () => {
    const uncommented = EXAMPLE_TEXT.replace(/ {2}# >>> kinds (targets|routes)\n([\s\S]*?) {2}# <<< kinds \1/g, (_m, _w, body: string) => body.replace(/^(\s*)# /gm, '$1'));
    expect(uncommented).toContain('kind: amqp');
    expect(uncommented).toContain('kind: exec');
    const dir = tempDir();
    cpSync(join(ROOT, 'fixtures'), join(dir, 'fixtures'), { recursive: true });
    writeFileSync(join(dir, 'routes.yaml'), uncommented);
    const r = run(['validate', '-c', join(dir, 'routes.yaml')]);
    expect(r.code, r.all).toBe(0);
    expect(r.out).toMatch(/7 targets, 9 routes/);
  });
});
