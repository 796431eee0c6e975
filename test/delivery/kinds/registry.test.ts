// The kind registry is where a kind is declared: the schema's kind enum and kind
// keys and the README's kinds table are generated from it (`npm run docs`), and
// these fail when they drift or a kind file is not registered.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HANDWRITTEN_TARGET_KEYS, KINDS_END, KINDS_START, kindProperties, kindsTable } from '../../../src/delivery/kinds/docs.js';
import { KINDS, kinds } from '../../../src/delivery/kinds/registry.js';

const ROOT = join(import.meta.dirname, '../../..');
const NOT_KINDS = new Set(['types.ts', 'registry.ts', 'publisher.ts', 'docs.ts', 'util.ts']);

describe('the kind registry', () => {
  it('has every kind SPEC.md names', () => {
    expect([...kinds.keys()].sort()).toEqual(['amqp', 'exec', 'mqtt', 'nats', 'redis', 'smtp']);
  });

  it('registers every kind file in src/delivery/kinds', () => {
    const files = readdirSync(join(ROOT, 'src/delivery/kinds')).filter((f) => f.endsWith('.ts') && !NOT_KINDS.has(f));
    expect(files.map((f) => f.replace(/\.ts$/, '')).filter((n) => !kinds.has(n))).toEqual([]);
  });

  it('every key has a description; templated and required keys are keys of the kind', () => {
    for (const k of KINDS) {
      for (const [key, schema] of Object.entries(k.keys)) expect(schema.description, `${k.name}.${key}`).toBeTruthy();
      for (const key of [...k.templated, ...k.required]) expect(Object.keys(k.keys), `${k.name}: ${key}`).toContain(key);
    }
  });

  it("the schema's target keys are the registry's (run `npm run docs` to update them)", () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/routes.schema.json'), 'utf8')) as { definitions: { target: { properties: Record<string, unknown> } } };
    const generated = Object.fromEntries(Object.entries(schema.definitions.target.properties).filter(([k]) => !HANDWRITTEN_TARGET_KEYS.includes(k)));
    expect(generated).toEqual(kindProperties());
  });

  it("the README's kinds table is the registry's (run `npm run docs` to update it)", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme.slice(readme.indexOf(KINDS_START), readme.indexOf(KINDS_END) + KINDS_END.length)).toBe(kindsTable());
  });
});
