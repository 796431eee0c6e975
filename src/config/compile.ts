// From schema-valid data to the compiled Config: names resolved, JSONata
// compiled, units parsed, defaults applied, and every semantic problem found
// (in one pass, so `validate` can list them all at once). One file per
// section under compile/ (settings, sources, targets, routes, tests); this one
// runs them in order, checks what spans sections (the lease against the
// longest timeout, templated hosts against egress.allow), and builds the
// frozen Config with the indexes its consumers look things up by.
import { createHash } from 'node:crypto';
import { createRedactor } from '../observe/redact.js';
import { createContext } from './compile/context.js';
import { deepFreeze, isObject, label, type RawConfig } from './compile/raw.js';
import { compileRoutes, indexRoutes } from './compile/routes.js';
import { compileSettings } from './compile/server.js';
import { compileSources } from './compile/sources.js';
import { compileEgressAllow, compileTargets, targetCompiler } from './compile/targets.js';
import { compileTests } from './compile/tests.js';
import type { ConfigIssue } from './issues.js';
import type { Config, Route, Source } from './types.js';
import type { YamlFile } from './yamldoc.js';

export interface CompileInput {
  yaml: YamlFile;
  data: unknown;
  /** instancePaths with schema errors: those parts are not compiled further. */
  badPaths: readonly string[];
  secrets: ReadonlySet<string>;
  env: NodeJS.ProcessEnv;
  /** What `${…}` the file refers to. */
  references?: Config['references'];
}

export type CompileOutput = { config?: Config; issues: ConfigIssue[] };

/** The margin the worker keeps between a call's timeout and its lease (worker.ts stillHeld). */
export function leaseMargin(leaseMs: number): number {
  return Math.min(1000, Math.floor(leaseMs / 10));
}

/** Whether a worker holding `leaseMs` leases ever makes a call with this timeout (with 100 ms to spare). */
export function leaseFits(leaseMs: number, timeoutMs: number): boolean {
  return leaseMs - leaseMargin(leaseMs) > timeoutMs + 100;
}

/** The longest call time a config asks for: the default and every target's timeout. */
export function longestTimeout(c: Pick<Config, 'defaults' | 'targets' | 'routes'>): number {
  return Math.max(c.defaults.timeoutMs, ...[...c.targets.values()].map((t) => t.timeoutMs), ...c.routes.map((r) => r.target.timeoutMs));
}

/** A source's full path as requests name it: no trailing slash, `/` for the root. */
export function normalizeSourcePath(path: string): string {
  return path.replace(/\/+$/, '') || '/';
}

export function compileConfig(input: CompileInput): CompileOutput {
  const { yaml } = input;
  const ctx = createContext(yaml, input.env, input.badPaths, input.secrets);
  const raw = (isObject(input.data) ? input.data : {}) as RawConfig;

  const settings = compileSettings(ctx, raw);
  const sources = compileSources(ctx, raw, settings.server);
  const egress = compileEgressAllow(ctx, raw);
  const compileTarget = targetCompiler(ctx, settings.defaults, egress);
  const targets = compileTargets(ctx, raw, compileTarget);
  const { routes, names, raw: rawRoutes } = compileRoutes(ctx, raw, sources, targets, compileTarget);
  const tests = compileTests(ctx, raw, rawRoutes, names);

  const allowWritten = isObject(raw.egress) && Array.isArray(raw.egress.allow) ? raw.egress.allow.length : 0;
  if (allowWritten === 0) {
    for (const at of egress.templatedHosts) ctx.warn(at, `${label(at)}: its host comes from a template, and egress.allow is empty: every call would be refused`, false);
  }
  // A claim must outlive the calls made under it, or a slow target would see a second worker step in.
  // The worker makes a call only if the lease covers its timeout plus a margin; less would leave deliveries waiting forever.
  const { server, defaults } = settings;
  const longest = longestTimeout({ defaults, targets, routes });
  if (!leaseFits(server.leaseMs, longest)) {
    ctx.error(
      settings.leaseWritten ? ['server', 'lease'] : ['server'],
      `server.lease (${server.leaseMs} ms) must be longer than the longest target timeout (${longest} ms) plus the worker's margin (${leaseMargin(server.leaseMs) + 100} ms)`,
      !settings.leaseWritten,
    );
  }

  const { issues } = ctx;
  if (issues.some((i) => i.severity === 'error') || input.badPaths.length > 0) return { issues };
  const routesBySource = new Map<string, Route[]>();
  for (const r of routes) {
    const list = routesBySource.get(r.source);
    if (list) list.push(r);
    else routesBySource.set(r.source, [r]);
  }
  const sourcesByPath = new Map<string, Source>();
  for (const s of sources.values()) sourcesByPath.set(normalizeSourcePath(server.basePath + s.path), s);
  // Longest first, so a secret that contains another is masked whole.
  const secrets = Object.freeze([...ctx.secrets].filter((s) => typeof s === 'string' && s.length > 0).sort((a, b) => b.length - a.length));
  const config: Config = {
    file: yaml.file,
    hash: createHash('sha256').update(yaml.text).digest('hex'),
    text: yaml.text,
    server,
    store: settings.store,
    retentionMs: settings.retentionMs,
    admin: settings.admin,
    defaults,
    egress: { origins: egress.origins, allow: egress.allow },
    sources,
    sourcesByPath,
    targets,
    routes,
    routesByName: new Map(routes.map((r) => [r.name, r])),
    routesBySource,
    routesFor: indexRoutes(routesBySource),
    tests,
    secrets,
    redact: createRedactor(secrets),
    warnings: issues.filter((i) => i.severity === 'warning'),
    document: input.data,
    references: input.references ?? { env: [], files: [] },
  };
  return { config: deepFreeze(config), issues };
}
