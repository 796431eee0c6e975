// The scheme registry is the one place a scheme is declared: the schema's
// verify block, the README's providers table and `switchboard schemes` are
// generated from it (`npm run docs`), and these tests fail when any of them
// drifts, when a preset file is not registered, or when a preset SPEC.md
// promises is missing.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { PROVIDERS_END, PROVIDERS_START, providersTable, verifyDefinition } from '../../src/verify/docs.js';
import { SPECS, schemes } from '../../src/verify/registry.js';

const ROOT = join(import.meta.dirname, '../..');

/** The real CLI (dist, built by pretest), as a user runs it. */
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/switchboard.js'), ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// SPEC.md §2: the table's presets and "at least" these.
const PROMISED = [
  'github',
  'gitlab',
  'stripe',
  'slack',
  'shopify',
  'twilio',
  'standard-webhooks',
  'discord',
  'meta',
  'intercom',
  'hmac',
  'token',
  'basic',
  'none',
  'linear',
  'jira',
  'bitbucket',
  'gitea',
  'telegram',
  'typeform',
  'square',
  'sentry',
  'lemonsqueezy',
  'calendly',
  'paddle',
  'pagerduty',
  'zendesk',
  'hubspot',
  'zoom',
  'twitch',
  'dropbox',
  'okta',
  'mailgun',
  'sendgrid',
  'postmark',
  'workos',
  'vercel',
  'trello',
  'woocommerce',
  'razorpay',
  'notion',
  'clickup',
  'teams',
  'clerk',
  'resend',
  'openai',
  'svix',
  'whatsapp',
  'signature',
];

describe('the scheme registry', () => {
  it('has every scheme SPEC.md promises', () => {
    expect(PROMISED.filter((n) => !schemes.has(n))).toEqual([]);
  });

  it('registers every preset file in src/verify/presets (one file + one registry line)', () => {
    const files = readdirSync(join(ROOT, 'src/verify/presets')).filter((f) => f.endsWith('.ts'));
    const names = files.map((f) => f.replace(/\.ts$/, ''));
    expect(names.filter((n) => !schemes.has(n))).toEqual([]);
  });

  it('names are unique and aliases point at registered schemes', () => {
    expect(new Set(SPECS.map((s) => s.name)).size).toBe(SPECS.length);
    for (const s of SPECS) if (s.alias) expect(schemes.has(s.alias), `${s.name} → ${s.alias}`).toBe(true);
  });

  it("the schema's verify block is the registry's (run `npm run docs` to update it)", () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/routes.schema.json'), 'utf8')) as { definitions: { verify: unknown } };
    expect(schema.definitions.verify).toEqual(verifyDefinition());
  });

  it("the README's providers table is the registry's (run `npm run docs` to update it)", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const shown = readme.slice(readme.indexOf(PROVIDERS_START), readme.indexOf(PROVIDERS_END) + PROVIDERS_END.length);
    expect(shown).toBe(providersTable());
    for (const s of SPECS) expect(shown).toContain(`\`${s.name}\``);
  });
});

describe('switchboard schemes', () => {
  it('lists every scheme', () => {
    const r = cli('schemes');
    expect(r.code, r.err).toBe(0);
    for (const s of SPECS) expect(r.out).toMatch(new RegExp(`^${s.name.replace(/[-]/g, '\\-')}\\s`, 'm'));
  });

  it('shows one with its checks, topic, id, handshake, keys and an example', () => {
    const r = cli('schemes', 'zoom');
    expect(r.code, r.err).toBe(0);
    const out = r.out;
    expect(out).toMatch(/checks\s+x-zm-signature/i);
    expect(out).toMatch(/topic\s+event/);
    expect(out).toMatch(/handshake/);
    expect(out).toMatch(/scheme: zoom/);
  });

  it('an unknown name: exit 1 with a did-you-mean', () => {
    const r = cli('schemes', 'githib');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/unknown scheme "githib".*github/);
  });
});
