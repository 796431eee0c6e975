// The README's config reference, generated from the JSON Schema so the two
// cannot drift apart (a test compares them; `npm run docs` rewrites the README).
import { loadSchema } from './schema.js';

interface Prop {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  $ref?: string;
  properties?: Record<string, Prop>;
  additionalProperties?: Prop | boolean;
  items?: Prop;
  required?: string[];
}

export const START = '<!-- config-reference:start (generated from schemas/routes.schema.json by `npm run docs`) -->';
export const END = '<!-- config-reference:end -->';

export function configReference(): string {
  const schema = loadSchema() as unknown as Prop & { definitions: Record<string, Prop> };
  const defs = schema.definitions;
  const rows: string[] = [];
  const deref = (p: Prop): Prop => (p.$ref ? defs[p.$ref.split('/').pop()!]! : p);

  const walk = (obj: Prop, prefix: string) => {
    for (const [name, raw] of Object.entries(obj.properties ?? {})) {
      const p = deref(raw);
      const key = `${prefix}${name}`;
      const required = obj.required?.includes(name) ? ' (required)' : '';
      rows.push(`| \`${key}\`${required} | ${typeOf(raw, p)} | ${p.default !== undefined ? `\`${String(p.default)}\`` : ''} | ${(raw.description ?? p.description ?? '').replace(/\|/g, '\\|')} |`);
      if (p.properties) walk(p, `${key}.`);
      if (typeof p.additionalProperties === 'object' && p.additionalProperties.$ref) {
        walk(deref(p.additionalProperties), `${key}.<name>.`);
      }
      if (p.items?.$ref) walk(deref(p.items), `${key}[].`);
    }
  };
  walk(schema, '');
  return [START, '', '| key | type | default | meaning |', '|---|---|---|---|', ...rows, '', END].join('\n');
}

function typeOf(raw: Prop, p: Prop): string {
  if (p.const !== undefined) return `\`${String(p.const)}\``;
  if (p.enum) return p.enum.map((e) => `\`${String(e)}\``).join(' \\| ');
  if (p.format && ['duration', 'size', 'rate'].includes(p.format)) return p.format;
  if (raw.$ref === '#/definitions/stringMap') return 'map of text';
  const t = Array.isArray(p.type) ? p.type.join(' \\| ') : (p.type ?? 'any');
  return t === 'object' && typeof p.additionalProperties === 'object' ? 'map' : t;
}
