// Rewrites the config reference section of README.md from the JSON Schema.
// Run with `npm run docs` (after `npm run build`).
import { readFileSync, writeFileSync } from 'node:fs';
import { configReference, END, START } from '../dist/config/reference.js';

const readme = readFileSync('README.md', 'utf8');
const start = readme.indexOf(START);
const end = readme.indexOf(END);
if (start === -1 || end === -1) {
  console.error('README.md has no config-reference markers');
  process.exit(1);
}
writeFileSync('README.md', readme.slice(0, start) + configReference() + readme.slice(end + END.length));
console.log('README.md: config reference updated');
