// The layout's one-way rules (ENGINEERING.md, "Data flows one way"), read from
// the imports themselves: a leaf that starts importing what sits above it
// fails here, before it grows into a cycle.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Every module a file names (`import … from`, `export … from`, `import '…'`, `import('…')`), as TypeScript reads them: comments and strings aside. */
function specifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** Each file under src/ (as `verify/types.ts`) with the files under src/ it imports. */
const graph = new Map(
  sourceFiles(src).map((file) => {
    const imports = specifiers(readFileSync(file, 'utf8'))
      .filter((s) => s.startsWith('.'))
      .map((s) => relative(src, resolve(dirname(file), s.replace(/\.js$/, '.ts'))));
    return [relative(src, file), imports] as const;
  }),
);

const folderOf = (path: string) => (path.includes('/') ? path.slice(0, path.indexOf('/')) : '.');

/** `from → to` for every import from a file in `folder` that `allowed` refuses. */
function crossings(folder: string, allowed: (to: string) => boolean): string[] {
  return [...graph].filter(([from]) => folderOf(from) === folder).flatMap(([from, imports]) => imports.filter((to) => !allowed(to)).map((to) => `${from} → ${to}`));
}

describe('layout: leaves stay leaves', () => {
  it('reads the imports it judges', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('server.ts')).toContain('store/retention.ts');
    expect(specifiers("import type { A } from './a.js';\nexport { b } from \"../b.js\";\nimport './c.js';\nconst d = await import('./d.js');\n// import e from './e.js'")).toEqual([
      './a.js',
      '../b.js',
      './c.js',
      './d.js',
    ]);
    expect(specifiers('import {\n  a,\n  type B,\n} from "./multi.js";')).toEqual(['./multi.js']);
  });

  it('verify/ imports nothing from config/', () => {
    expect(crossings('verify', (to) => folderOf(to) !== 'config')).toEqual([]);
  });

  it('lib/ imports nothing outside lib/', () => {
    expect(crossings('lib', (to) => folderOf(to) === 'lib')).toEqual([]);
  });

  it('observe/ does not import the store', () => {
    expect(crossings('observe', (to) => folderOf(to) !== 'store')).toEqual([]);
  });

  it('the store imports only itself and lib/ (retention included)', () => {
    expect(crossings('store', (to) => folderOf(to) === 'store' || folderOf(to) === 'lib')).toEqual([]);
  });

  it('config/types.ts and verify/types.ts do not import each other', () => {
    expect(graph.get('verify/types.ts')).not.toContain('config/types.ts');
    expect(graph.get('config/types.ts')).toContain('verify/types.ts');
  });

  it('reload lives in config/, retention in the store', () => {
    expect(graph.has('reload.ts')).toBe(false);
    expect(graph.has('config/reload.ts')).toBe(true);
    expect(graph.has('store/retention.ts')).toBe(true);
  });
});
