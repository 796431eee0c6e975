// Regenerates what is written from code: the schema's `verify` block and the
// README's providers table (from the scheme registry), and the README's config
// reference (from the schema). Run with `npm run docs` (it builds first).
import { readFileSync, writeFileSync } from 'node:fs';
import { configReference, END, START } from '../dist/config/reference.js';
import { PROVIDERS_END, PROVIDERS_START, providersTable, verifyDefinition } from '../dist/verify/docs.js';
import prettier from 'prettier';
import { KINDS_END, KINDS_START, kindProperties, kindsTable, HANDWRITTEN_TARGET_KEYS } from '../dist/delivery/kinds/docs.js';

const schemaPath = 'schemas/routes.schema.json';
const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
schema.definitions.verify = verifyDefinition();
// definitions.target: the handwritten http keys, then `kind` and every kind's own keys from the kind registry.
const handwritten = Object.fromEntries(Object.entries(schema.definitions.target.properties).filter(([k]) => HANDWRITTEN_TARGET_KEYS.includes(k)));
schema.definitions.target.properties = { ...handwritten, ...kindProperties() };
writeFileSync(schemaPath, await prettier.format(JSON.stringify(schema), { parser: 'json', printWidth: 200 }));
console.log(`${schemaPath}: verify block updated from the scheme registry`);

let readme = readFileSync('README.md', 'utf8');
const replace = (start, end, text) => {
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a === -1 || b === -1) {
    console.error(`README.md has no ${start} … ${end} markers`);
    process.exit(1);
  }
  readme = readme.slice(0, a) + text + readme.slice(b + end.length);
};
replace(PROVIDERS_START, PROVIDERS_END, providersTable());
replace(KINDS_START, KINDS_END, kindsTable());
// The reference reads the schema file, which was just rewritten.
replace(START, END, configReference());
writeFileSync('README.md', readme);
console.log('README.md: providers table and config reference updated');
