// `switchboard diff -c edited.yaml [--url] [--since 24h] [--limit 500]`: the
// admin preview from the terminal. The edited file goes to a running server,
// which plans its recorded events under the live config and under this one,
// sending nothing; printed like `git diff --stat`, then per route the events
// that would start, stop or change, with a diff of each changed request.
// Exit 0: nothing would change; 1: something would; 2: the file is invalid;
// 3: the server could not be reached or refused the call.
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { maxConfigBytes, readConfigFile, loadConfig } from '../config/load.js';
import { interpolate } from '../config/env.js';
import { YamlFile } from '../config/yamldoc.js';
import { adminCall } from './events.js';
import { paint, printable, type IO } from './io.js';

export interface DiffOptions {
  config: string;
  url?: string;
  since?: string;
  limit?: string;
}

interface EventRef {
  event: string;
  topic: string;
  receivedAt: string;
  before: string;
  after: string;
  diff?: string;
}

interface RoutePreview {
  route: string;
  source: string;
  target: string;
  status: 'kept' | 'added' | 'removed';
  counts: { events: number; newlyMatched: number; noLongerMatched: number; changed: number; newFailures: number; same: number };
  newlyMatched: EventRef[];
  noLongerMatched: EventRef[];
  changed: EventRef[];
  newFailures: EventRef[];
}

interface PreviewAnswer {
  identical: boolean;
  window: { limit: number; since?: string };
  reload: { wouldApply: boolean; refusal?: string; needsRestart: string[] };
  warnings: string[];
  events: number;
  skipped: Record<string, number>;
  complete: boolean;
  stoppedBecause?: string;
  changes: number;
  routes: RoutePreview[];
}

const LISTS = [
  ['newFailures', 'now fail'],
  ['noLongerMatched', 'no longer sent'],
  ['newlyMatched', 'newly sent'],
  ['changed', 'sent differently'],
] as const;

export async function diffCommand(opts: DiffOptions, io: IO): Promise<number> {
  const c = paint(io);
  const limit = maxConfigBytes(io.env);
  const read = readConfigFile(opts.config, typeof limit === 'number' ? limit : 1024 * 1024);
  if ('issue' in read) {
    io.err(c.red(`${opts.config}:${read.issue.line}:${read.issue.col}: ${read.issue.message}`));
    return 2;
  }
  const { port, token } = whereIsTheServer(opts, read.text, io.env);
  const q = new URLSearchParams({ name: basename(opts.config) });
  if (opts.since !== undefined) q.set('since', opts.since);
  if (opts.limit !== undefined) q.set('limit', opts.limit);
  const r = await adminCall({ base: opts.url ?? `http://127.0.0.1:${port}`, ...(token ? { token } : {}) }, io, 'POST', `/preview?${q}`, { text: read.text, type: 'application/yaml' });
  if (!r) return 3;
  const body = r.body as { error?: string; errors?: string[] } & Partial<PreviewAnswer>;
  if (r.status === 400 && Array.isArray(body.errors)) {
    // The server names the file by its base name: print it as the user wrote it.
    const name = `${basename(opts.config)}:`;
    for (const e of body.errors.map(printable)) io.err(c.red(e.startsWith(name) ? `${opts.config}:${e.slice(name.length)}` : e));
    io.err(`${opts.config}: ${printable(body.error ?? 'invalid')}`);
    return 2;
  }
  if (r.status !== 200) {
    io.err(`admin API answered ${r.status}: ${printable(body.error ?? JSON.stringify(r.body))}`);
    return r.status === 400 ? 2 : 3;
  }
  const a = sanitized(body as PreviewAnswer);
  for (const w of a.warnings) io.err(c.yellow(w.startsWith(`${basename(opts.config)}:`) ? `${opts.config}:${w.slice(basename(opts.config).length + 1)}` : w));
  printStat(a, io);
  printDetails(a, io);
  // A preview that stopped early, or a file the server would refuse to reload, is not "no change".
  return a.changes > 0 || !a.complete || !a.reload.wouldApply ? 1 : 0;
}

/** Every string of the answer made printable: topics, ids and diffs come from recorded webhooks. */
function sanitized<T>(value: T): T {
  if (typeof value === 'string') return printable(value) as T;
  if (Array.isArray(value)) return value.map(sanitized) as T;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [printable(k), sanitized(v)])) as T;
  return value;
}

/**
 * The running server's port and admin token come from its own config (the
 * default one: $SWITCHBOARD_CONFIG or ./routes.yaml) when that is another file
 * and loads here: an edit that changes the port or the token is still previewed
 * by the server that runs the old ones. Else from the edited file.
 */
function whereIsTheServer(opts: DiffOptions, text: string, env: NodeJS.ProcessEnv): { port: number; token?: string } {
  const liveFile = env.SWITCHBOARD_CONFIG ?? 'routes.yaml';
  if (resolve(liveFile) !== resolve(opts.config) && existsSync(liveFile)) {
    const live = loadConfig(liveFile, { env });
    if (live.config) return { port: live.config.server.port, ...(live.config.admin.token ? { token: live.config.admin.token } : {}) };
  }
  return serverOf(opts.config, text, env);
}

/**
 * Where the server is and its admin token: from the edited file (a copy of the
 * live one) — compiled when it is valid here, else just read as YAML, so an
 * invalid edit still reaches the server to be reported — or the environment.
 */
function serverOf(file: string, text: string, env: NodeJS.ProcessEnv): { port: number; token?: string } {
  const local = loadConfig(file, { env, text });
  if (local.config) return { port: local.config.server.port, ...(local.config.admin.token ? { token: local.config.admin.token } : {}) };
  let port: unknown;
  let token: unknown;
  try {
    const yaml = new YamlFile(file, text);
    interpolate(yaml, env);
    const data = yaml.doc.toJS({ maxAliasCount: 100 }) as { server?: { port?: unknown }; admin?: { token?: unknown } } | null;
    port = env.PORT !== undefined && env.PORT !== '' ? Number(env.PORT) : data?.server?.port;
    token = data?.admin?.token;
  } catch {
    // not even YAML: the server will say where
  }
  const t = typeof token === 'string' && token !== '' ? token : env.SWITCHBOARD_ADMIN_TOKEN || undefined;
  return { port: typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536 ? port : 8080, ...(t ? { token: t } : {}) };
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function printStat(a: PreviewAnswer, io: IO): void {
  const c = paint(io);
  const touched = a.routes.filter((r) => r.status !== 'kept' || LISTS.some(([k]) => r.counts[k] > 0));
  const window = `${plural(a.events, 'recorded event')}${a.window.since ? ` since ${a.window.since}` : ''} (limit ${a.window.limit})`;
  if (touched.length === 0) {
    io.out(`no change: every route sends the same requests for the ${window}${a.identical ? '; the file is the live config' : ''}`);
  } else {
    const width = Math.min(40, Math.max(...touched.map((r) => r.route.length)));
    for (const r of touched) {
      const parts = LISTS.filter(([k]) => r.counts[k] > 0).map(([k, label]) => {
        const text = `${r.counts[k]} ${label}`;
        return k === 'newFailures' || k === 'noLongerMatched' ? c.red(text) : k === 'newlyMatched' ? c.green(text) : c.yellow(text);
      });
      const status = r.status === 'kept' ? '' : `${r.status === 'added' ? c.green('added') : c.red('removed')}${parts.length ? ': ' : ''}`;
      io.out(` ${r.route.padEnd(width)} | ${status}${parts.join(', ') || (r.status === 'kept' ? '' : c.dim('no recorded event'))}`);
    }
    io.out(` ${plural(touched.length, 'route')} changed over the ${window}`);
  }
  const skipped = Object.entries(a.skipped);
  if (skipped.length) io.out(c.dim(` left out: ${skipped.map(([why, n]) => `${n} ${why}`).join(', ')}`));
  if (!a.complete) io.out(c.yellow(` incomplete: ${a.stoppedBecause ?? 'stopped early'}`));
  if (!a.reload.wouldApply) io.out(c.red(` this file would not reload on the running server: ${a.reload.refusal}`));
  if (a.reload.needsRestart.length) io.out(c.yellow(` after a reload, these apply only on restart: ${a.reload.needsRestart.join(', ')}`));
}

function printDetails(a: PreviewAnswer, io: IO): void {
  const c = paint(io);
  for (const r of a.routes) {
    const lists = LISTS.filter(([k]) => r.counts[k] > 0);
    if (!lists.length) continue;
    io.out('');
    io.out(c.bold(`route ${r.route} (${r.source} → ${r.target})${r.status === 'kept' ? '' : `, ${r.status}`}`));
    for (const [k, label] of lists) {
      const items = r[k];
      io.out(`  ${r.counts[k]} ${label}${items.length < r.counts[k] ? ` (first ${items.length} shown)` : ''}:`);
      for (const e of items) {
        io.out(`    ${e.event}  ${e.receivedAt}  ${e.topic || c.dim('(no topic)')}`);
        if (k === 'changed' && e.diff) {
          for (const line of e.diff.split('\n')) {
            const colour = line.startsWith('+++') || line.startsWith('---') ? c.bold : line.startsWith('+') ? c.green : line.startsWith('-') ? c.red : line.startsWith('@@') ? c.dim : (s: string) => s;
            io.out(`      ${colour(line)}`);
          }
        } else {
          io.out(c.dim(`      live:   ${e.before}`));
          io.out(`      edited: ${e.after}`);
        }
      }
    }
  }
}
