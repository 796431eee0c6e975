// Everything written about the schemes comes from their declarations: the JSON
// Schema's `verify` block, the README's providers table, `switchboard schemes`.
// `npm run docs` writes them; test/verify/registry.test.ts fails when they drift.
import { ENGINE_KEYS, SHARED_KEYS } from './keys.js';
import { extractDoc } from './resolve.js';
import { SPECS, schemes } from './registry.js';
import type { HmacDefaults, PresetSpec, SignatureDefaults } from './spec.js';
import type { Scheme } from './types.js';

/** The schema's `definitions.verify`: every key any scheme takes; which ones a scheme takes is checked at load, with a did-you-mean. */
export function verifyDefinition(): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    scheme: {
      type: 'string',
      enum: SPECS.map((s) => s.name),
      description: 'A provider preset (`switchboard schemes` lists them), or a generic scheme: hmac, signature, token, basic, none.',
    },
    ...SHARED_KEYS,
  };
  for (const spec of SPECS) {
    for (const [key, schema] of Object.entries(spec.extraKeys ?? {})) {
      if (properties[key] && !(key in SHARED_KEYS)) {
        const prev = properties[key] as { description: string };
        properties[key] = { ...prev, description: `${prev.description} (${spec.name})` };
      } else if (!properties[key]) properties[key] = { ...schema, description: `${spec.name}: ${schema.description}` };
    }
  }
  return { type: 'object', additionalProperties: false, required: ['scheme'], description: 'How to check that a webhook is genuine.', properties };
}

const ALG: Record<string, string> = {
  sha1: 'HMAC-SHA1',
  sha256: 'HMAC-SHA256',
  sha512: 'HMAC-SHA512',
  ed25519: 'Ed25519',
  'ecdsa-p256-sha256': 'ECDSA P-256 SHA-256',
  'rsa-sha256': 'RSA SHA-256',
};

/** What a scheme checks, in one phrase. */
export function checksOf(spec: PresetSpec): string {
  const e: (HmacDefaults & SignatureDefaults) | undefined = (spec.hmac ?? spec.signature) as HmacDefaults & SignatureDefaults;
  if (spec.generic) return spec.summary;
  if (e) {
    const where = e.header ? `\`${e.header}\`` : e.signatureFrom ? `body \`${e.signatureFrom}\`` : 'the signature';
    const alg = ALG[e.algorithm ?? 'sha256'] ?? e.algorithm;
    const shape = e.format
      ? ` \`${[e.format.timestamp ? `${e.format.timestamp}${e.format.kv}…` : '', `${e.format.signature}${e.format.kv}…`].filter(Boolean).join(e.format.pairs)}\``
      : e.prefix
        ? ` \`${e.prefix}\``
        : '';
    const ts = e.timestampHeader ? `, time \`${e.timestampHeader}\`` : e.timestampFrom ? `, time body \`${e.timestampFrom}\`` : '';
    const tol = e.format?.timestamp || e.timestampHeader || e.timestampFrom ? (e.tolerance === '0' ? ', age not checked' : `, ${e.tolerance ?? '5m'}`) : '';
    return `${where}${shape} ${alg} ${e.encoding ?? 'hex'} of \`${(e.signed ?? '{body}').replace(/\|/g, '\\|')}\`${ts}${tol}`;
  }
  if (spec.token) return `\`${spec.token.header ?? 'Authorization'}\` equals the secret`;
  if (spec.basic) return 'HTTP Basic credentials';
  if (spec.none) return 'nothing';
  return spec.checks ?? spec.summary;
}

function handshakeDoc(spec: PresetSpec): string {
  const rules = spec.handshake ?? [];
  return rules.length ? rules.map((r) => r.doc ?? `\`${r.when}\``).join('; ') : '—';
}

const esc = (s: string) => s.replace(/\|/g, '\\|');

export const PROVIDERS_START = '<!-- providers:start (generated from src/verify by `npm run docs`) -->';
export const PROVIDERS_END = '<!-- providers:end -->';

/** The README's providers table. */
export function providersTable(): string {
  const rows = SPECS.map((spec) => {
    const name = spec.alias ? `\`${spec.name}\` (= \`${spec.alias}\`)` : `\`${spec.name}\``;
    const needs = (schemes.get(spec.name)!.required.length ? schemes.get(spec.name)!.required : ['—']).map((k) => (k === '—' ? k : `\`${k}\``)).join(', ');
    const topic = extractDoc(spec.topic) ?? (spec.generic ? 'from `topic:`' : '—');
    const id = extractDoc(spec.id) ?? (spec.generic ? 'from `id:`' : 'none');
    const split = spec.split ? `; split \`${spec.split}\`` : '';
    return `| ${name} | ${needs} | ${esc(checksOf(spec))} | ${esc(topic)}${esc(split)} | ${esc(id)} | ${esc(handshakeDoc(spec))} |`;
  });
  return [PROVIDERS_START, '', '| scheme | needs | checks | topic | delivery id | handshake |', '|---|---|---|---|---|---|', ...rows, '', PROVIDERS_END].join('\n');
}

/** `switchboard schemes`: one line per scheme. */
export function schemeList(): string[] {
  const width = Math.max(...SPECS.map((s) => s.name.length));
  return SPECS.map((s) => `${s.name.padEnd(width)}  ${s.alias ? `(= ${s.alias}) ` : ''}${s.summary}`);
}

/** `switchboard schemes <name>`: its settings, defaults, rules and an example. */
export function schemeDetail(scheme: Scheme): string[] {
  const spec = scheme.spec;
  const out: string[] = [`${spec.name}${spec.alias ? ` (another name for ${spec.alias})` : ''}: ${spec.summary}`];
  if (spec.docs) out.push(`  docs       ${spec.docs}`);
  out.push(`  checks     ${checksOf(spec).replace(/`/g, '')}`);
  const topic = extractDoc(spec.topic);
  const id = extractDoc(spec.id);
  out.push(`  topic      ${topic ? topic.replace(/`/g, '') : "from the source's topic: expression"}`);
  out.push(`  id         ${id ? id.replace(/`/g, '') : spec.generic ? "from the source's id: expression" : 'none (the provider sends no delivery id)'}`);
  if (spec.split) out.push(`  split      ${spec.split} (one event per element)`);
  for (const r of spec.handshake ?? []) out.push(`  handshake  ${r.doc ?? r.when}${r.unsigned ? ' (unsigned probe)' : ''}`);
  const e = (spec.hmac ?? spec.signature) as Record<string, unknown> | undefined;
  if (e && Object.keys(e).length) {
    out.push('  settings (any may be overridden in verify:)');
    for (const key of ENGINE_KEYS) if (e[key] !== undefined) out.push(`    ${key}: ${typeof e[key] === 'string' ? JSON.stringify(e[key]) : JSON.stringify(e[key])}`);
  }
  const keys = [...scheme.keys, ...Object.keys(spec.extraKeys ?? {})];
  out.push(`  keys       ${keys.map((k) => (scheme.required.includes(k) ? `${k} (required)` : k)).join(', ') || '—'}`);
  out.push('', '  example:', '    sources:', `      ${spec.name.replace(/[^a-z0-9]+/g, '_')}:`, '        verify:', `          scheme: ${spec.name}`);
  for (const k of scheme.required) out.push(`          ${k}: ${placeholder(spec.name, k)}`);
  if (spec.generic && spec.name === 'hmac') out.push('          header: X-Signature');
  return out;
}

function placeholder(name: string, key: string): string {
  const env = `${name.replace(/[^a-z0-9]+/gi, '_').toUpperCase()}_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
  return `\${${env}}`;
}
