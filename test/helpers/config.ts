import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigText } from '../../src/config/load.js';
import { formatIssue } from '../../src/config/issues.js';

/** Loads YAML text as if it were `routes.yaml`; returns the result and the formatted lines. */
export function load(text: string, env: NodeJS.ProcessEnv = {}) {
  const result = loadConfigText('routes.yaml', text, env);
  return { ...result, lines: result.issues.map(formatIssue), errors: result.issues.filter((i) => i.severity === 'error').map(formatIssue) };
}

/** A minimal valid config, with room for more below. */
export const MINIMAL = `version: 1
sources:
  github:
    verify:
      scheme: github
      secret: test-secret-not-real
targets:
  sink:
    url: http://127.0.0.1:9/sink
routes:
  - name: all
    source: github
    target: sink
`;

export function tempDir(prefix = 'switchboard-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeFile(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
