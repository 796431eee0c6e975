// tests: the cases written in the config, their sources and routes checked
// (a missing payload file is a warning: the server does not need it to run).
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { hint } from '../didyoumean.js';
import type { Expectation, TestCase } from '../types.js';
import type { PathSegment } from '../yamldoc.js';
import type { CompileContext } from './context.js';
import { isObject, lowerKeys, stringMap, type RawConfig, type RawRoute } from './raw.js';

export function compileTests(ctx: CompileContext, raw: RawConfig, rawRoutes: readonly RawRoute[], routeNames: ReadonlyMap<string, number>): TestCase[] {
  const { yaml, bad, error, warn } = ctx;
  const sourceNames = isObject(raw.sources) ? Object.keys(raw.sources) : [];
  const isSource = new Set(sourceNames);
  const tests: TestCase[] = [];
  const dir = dirname(yaml.file);
  const rawTests = Array.isArray(raw.tests) ? raw.tests : [];
  const rawRouteByName = new Map<unknown, RawRoute>();
  for (const r of rawRoutes) if (isObject(r) && !rawRouteByName.has(r.name)) rawRouteByName.set(r.name, r);
  rawTests.forEach((t, i) => {
    const at: PathSegment[] = ['tests', i];
    if (!isObject(t) || bad(at)) return;
    const line = yaml.position(yaml.offsetOf(at, false)).line;
    let ok = true;
    if (!isSource.has(t.source)) {
      error([...at, 'source'], `test "${t.name}": unknown source "${t.source}"${hint(t.source, sourceNames)}`);
      ok = false;
    }
    let payload: TestCase['payload'];
    if (typeof t.payload === 'string') {
      const file = resolve(dir, t.payload);
      // A warning, not an error: the server does not need test fixtures to run (the case itself fails in `test`).
      if (!existsSync(file) || !statSync(file).isFile()) {
        warn([...at, 'payload'], `test "${t.name}": payload file "${t.payload}" not found (looked for ${file})`, false);
      }
      payload = { file };
    } else payload = { inline: t.payload };
    const expect: Expectation[] = [];
    t.expect.forEach((e, j) => {
      const eat: PathSegment[] = [...at, 'expect', j];
      const route = rawRouteByName.get(e.route);
      if (!route) {
        error([...eat, 'route'], `test "${t.name}": unknown route "${e.route}"${hint(e.route, routeNames.keys())}`);
        ok = false;
      } else if (route.source !== t.source) {
        error([...eat, 'route'], `test "${t.name}": route "${e.route}" takes events from "${route.source}", not "${t.source}"`);
        ok = false;
      }
      const { headers, ...rest } = e;
      expect.push({
        ...rest,
        ...(headers ? { headers: stringMap(headers) } : {}),
        line: yaml.position(yaml.offsetOf(eat, false)).line,
      });
    });
    if (ok) {
      tests.push({
        name: t.name,
        source: t.source,
        headers: lowerKeys(stringMap(t.headers)),
        query: stringMap(t.query),
        ...(t.contentType ? { contentType: t.contentType } : {}),
        payload,
        expect,
        line,
      });
    }
  });
  return tests;
}
