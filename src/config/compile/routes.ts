// routes: each one's source and target resolved (a target may be written inline),
// its topics, filter and transform compiled; and the index that finds the routes
// of a source for a topic.
import { hint } from '../didyoumean.js';
import { compileTopics } from '../glob.js';
import type { Route, Source, Target } from '../types.js';
import type { PathSegment } from '../yamldoc.js';
import type { CompileContext } from './context.js';
import { isObject, type RawConfig, type RawRoute } from './raw.js';
import type { TargetCompiler } from './targets.js';

export interface CompiledRoutes {
  readonly routes: Route[];
  /** Route name → its index in the file (the first, when names repeat). */
  readonly names: Map<string, number>;
  readonly raw: RawRoute[];
}

export function compileRoutes(ctx: CompileContext, raw: RawConfig, sources: ReadonlyMap<string, Source>, targets: ReadonlyMap<string, Target>, compileTarget: TargetCompiler): CompiledRoutes {
  const { bad, error, expr } = ctx;
  const sourceNames = isObject(raw.sources) ? Object.keys(raw.sources) : [];
  const isSource = new Set(sourceNames);
  const targetNames = isObject(raw.targets) ? Object.keys(raw.targets) : [];
  const isTarget = new Set(targetNames);
  const routes: Route[] = [];
  const routeNames = new Map<string, number>();
  const rawRoutes = Array.isArray(raw.routes) ? raw.routes : [];
  rawRoutes.forEach((r, i) => {
    const at: PathSegment[] = ['routes', i];
    if (!isObject(r)) return;
    if (typeof r.name === 'string') {
      if (routeNames.has(r.name)) error([...at, 'name'], `duplicate route name "${r.name}" (also routes[${routeNames.get(r.name)}])`);
      else routeNames.set(r.name, i);
    }
    if (typeof r.source === 'string' && !isSource.has(r.source)) {
      error([...at, 'source'], `route "${r.name}": unknown source "${r.source}"${hint(r.source, sourceNames)}`);
    }
    let target: Target | undefined;
    if (typeof r.target === 'string') {
      target = targets.get(r.target);
      if (!target && !isTarget.has(r.target)) {
        error([...at, 'target'], `route "${r.name}": unknown target "${r.target}"${hint(r.target, targetNames)}`);
      }
    } else if (isObject(r.target)) {
      target = compileTarget([...at, 'target'], `${r.name} (inline)`, r.target);
    }
    const filter = typeof r.filter === 'string' ? expr([...at, 'filter'], r.filter) : undefined;
    const transform = typeof r.transform === 'string' ? expr([...at, 'transform'], r.transform) : undefined;
    if (bad(at)) return;
    if (!target || !sources.has(r.source) || (r.filter && !filter) || (r.transform && !transform)) return;
    routes.push({
      name: r.name,
      source: r.source,
      topics: r.topics ?? [],
      matchesTopic: compileTopics(r.topics),
      ...(filter ? { filter } : {}),
      ...(transform ? { transform } : {}),
      each: r.each ?? false,
      target,
    });
  });
  return { routes, names: routeNames, raw: rawRoutes };
}

/**
 * Topic index: routes whose topics are all exact names are found by a map
 * lookup; only routes with patterns (or no topics) are tested one by one.
 */
export function indexRoutes(bySource: ReadonlyMap<string, readonly Route[]>): (source: string, topic: string) => readonly Route[] {
  const index = new Map<string, { exact: Map<string, Route[]>; scan: Route[]; order: Map<Route, number> }>();
  for (const [source, routes] of bySource) {
    const exact = new Map<string, Route[]>();
    const scan: Route[] = [];
    const order = new Map<Route, number>();
    routes.forEach((r, i) => {
      order.set(r, i);
      if (r.topics.length > 0 && r.topics.every((t) => !/[*?]/.test(t))) {
        for (const t of new Set(r.topics)) {
          const list = exact.get(t);
          if (list) list.push(r);
          else exact.set(t, [r]);
        }
      } else scan.push(r);
    });
    index.set(source, { exact, scan, order });
  }
  const none: readonly Route[] = Object.freeze([]);
  return (source, topic) => {
    const entry = index.get(source);
    if (!entry) return none;
    const hits = entry.exact.get(topic) ?? none;
    const scanned = entry.scan.filter((r) => r.matchesTopic(topic));
    if (scanned.length === 0) return hits;
    if (hits.length === 0) return scanned;
    return [...hits, ...scanned].sort((a, b) => entry.order.get(a)! - entry.order.get(b)!);
  };
}
