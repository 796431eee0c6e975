// `switchboard schema [--path]`: the JSON Schema of routes.yaml, as shipped with
// this installation (its `$id` is stable across versions), or where the file is
// — what an editor's `# yaml-language-server: $schema=…` line can point at.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { IO } from './io.js';

/** The schema file of this installation (the package's schemas/ folder, from dist/ or src/ alike). */
export function schemaPath(): string {
  return fileURLToPath(new URL('../../schemas/routes.schema.json', import.meta.url));
}

export function schemaCommand(opts: { path: boolean }, io: IO): number {
  const file = schemaPath();
  if (opts.path) {
    io.out(file);
    return 0;
  }
  io.out(readFileSync(file, 'utf8').trimEnd());
  return 0;
}
