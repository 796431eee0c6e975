// `switchboard events`, `switchboard replay <id>` and `switchboard replay
// --status dead …` (bulk, by filter): the admin API from the command line, with
// the admin token from the config (or SWITCHBOARD_ADMIN_TOKEN).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Config } from '../config/types.js';
import { loadForCommand, paint, printable, type IO } from './io.js';
import { errorMessage } from '../lib/errors.js';

export interface AdminClientOptions {
  config: string;
  url?: string;
}

async function admin(config: Config, opts: AdminClientOptions, io: IO, method: string, path: string, json?: unknown): Promise<{ status: number; body: unknown } | undefined> {
  const body = json !== undefined ? { text: JSON.stringify(json), type: 'application/json' } : undefined;
  return adminCall({ base: opts.url ?? `http://127.0.0.1:${config.server.port}`, ...(config.admin.token ? { token: config.admin.token } : {}) }, io, method, path, body);
}

/** One call to a running server's admin API; undefined (said on stderr) when it cannot be reached. */
export async function adminCall(
  server: { base: string; token?: string },
  io: IO,
  method: string,
  path: string,
  body?: { text: string; type: string },
): Promise<{ status: number; body: unknown } | undefined> {
  const base = server.base.replace(/\/+$/, '');
  const headers: Record<string, string> = server.token ? { Authorization: `Bearer ${server.token}` } : {};
  if (body) headers['Content-Type'] = body.type;
  try {
    const res = await fetch(`${base}/admin${path}`, { method, headers, ...(body ? { body: body.text } : {}) });
    const text = await res.text();
    let answer: unknown = text;
    try {
      answer = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: answer };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    io.err(`cannot reach ${base}${cause ? ` (${cause})` : ''}: is \`switchboard serve\` running? (--url sets where)`);
    return undefined;
  }
}

function failed(io: IO, r: { status: number; body: unknown }): number {
  const error = (r.body as { error?: string })?.error ?? JSON.stringify(r.body);
  io.err(`admin API answered ${r.status}: ${error}`);
  return 1;
}

export async function eventsCommand(opts: AdminClientOptions & { source?: string; topic?: string; status?: string; limit?: string }, io: IO): Promise<number> {
  const config = loadForCommand(opts.config, io);
  if (!config) return 1;
  const q = new URLSearchParams();
  for (const k of ['source', 'topic', 'status', 'limit'] as const) if (opts[k]) q.set(k, opts[k]!);
  const r = await admin(config, opts, io, 'GET', `/events${q.size ? `?${q}` : ''}`);
  if (!r) return 3;
  if (r.status !== 200) return failed(io, r);
  const { events } = r.body as { events: { id: string; receivedAt: string; source: string; topic: string; deliveries: Record<string, number> }[] };
  const c = paint(io);
  if (events.length === 0) {
    io.out('no events');
    return 0;
  }
  for (const e of events) {
    const ds =
      Object.entries(e.deliveries)
        .map(([status, n]) => `${n} ${status}`)
        .join(', ') || 'no deliveries';
    const mark = e.deliveries.dead ? c.red('✗') : e.deliveries.pending ? c.yellow('…') : c.green('✓');
    io.out(`${mark} ${printable(e.id)}  ${printable(e.receivedAt)}  ${printable(e.source)}  ${e.topic ? printable(e.topic) : c.dim('(no topic)')}  ${c.dim(printable(ds))}`);
  }
  return 0;
}

export async function replayCommand(opts: AdminClientOptions & { eventId: string }, io: IO): Promise<number> {
  const config = loadForCommand(opts.config, io);
  if (!config) return 1;
  const r = await admin(config, opts, io, 'POST', `/events/${encodeURIComponent(opts.eventId)}/replay`);
  if (!r) return 3;
  if (r.status !== 202) return failed(io, r);
  const { deliveries } = r.body as { deliveries: { id: string; route: string }[] };
  for (const d of deliveries) io.out(`queued ${d.id} (route ${d.route})`);
  return 0;
}

export interface BulkOptions extends AdminClientOptions {
  source?: string;
  topic?: string;
  route?: string;
  status?: string;
  since?: string;
  until?: string;
  limit?: string;
  cursor?: string;
  dryRun?: boolean;
}

interface BulkSample {
  id: string;
  event?: string;
  route?: string;
  routes?: string[];
  source: string;
  topic: string;
  receivedAt: string;
  lastError?: string | null;
  skipped?: string;
}

interface BulkAnswer {
  matched: number;
  queued?: number;
  wouldQueue?: number;
  replayed?: number;
  wouldReplay?: number;
  skipped?: number;
  remaining?: number;
  limit: number;
  nextCursor?: string;
  sample: BulkSample[];
}

/**
 * `replay` with filters and no event id: `--status dead` retries the dead
 * deliveries that match (POST /admin/deliveries/retry); any other filter
 * replays the matching events through the routes that take them now
 * (POST /admin/events/replay). `--dry-run` says what it would do.
 */
export async function bulkReplayCommand(opts: BulkOptions, io: IO): Promise<number> {
  const config = loadForCommand(opts.config, io);
  if (!config) return 1;
  const retry = opts.status === 'dead';
  const body: Record<string, unknown> = {};
  for (const k of ['source', 'topic', 'route', 'status', 'since', 'until', 'cursor'] as const) if (opts[k] !== undefined) body[k] = opts[k];
  // A number when it is one; otherwise as typed, for the server to name what is wrong with it.
  if (opts.limit !== undefined) body.limit = /^\d+$/.test(opts.limit) ? Number(opts.limit) : opts.limit;
  if (opts.dryRun) body.dryRun = true;
  const r = await admin(config, opts, io, 'POST', retry ? '/deliveries/retry' : '/events/replay', body);
  if (!r) return 3;
  if (r.status !== 200 && r.status !== 202) return failed(io, r);
  const a = r.body as BulkAnswer;
  const c = paint(io);
  const n = (k: number, one: string, many = `${one}s`) => `${k} ${k === 1 ? one : many}`;
  if (retry) {
    if (opts.dryRun) io.out(`${n(a.matched, 'dead delivery', 'dead deliveries')} match; a run would retry ${a.wouldQueue} (limit ${a.limit}). Nothing was changed.`);
    else {
      io.out(`retried ${n(a.queued ?? 0, 'dead delivery', 'dead deliveries')}: pending again, sent by the worker under each target's rate limit and concurrency`);
      if (a.remaining) io.out(`${a.remaining} more match: run it again (or raise --limit)`);
    }
    for (const d of a.sample)
      io.out(
        `  ${printable(d.id)}  ${printable(d.route ?? '')}  ${d.receivedAt}  ${printable(d.source)}  ${d.topic ? printable(d.topic) : c.dim('(no topic)')}${d.lastError ? `  ${c.dim(printable(d.lastError))}` : ''}`,
      );
  } else {
    if (opts.dryRun) {
      io.out(`${n(a.matched, 'event')} match; a run would replay ${a.wouldReplay} of them as ${n(a.wouldQueue ?? 0, 'new delivery', 'new deliveries')} (limit ${a.limit}). Nothing was changed.`);
    } else {
      io.out(`replayed ${n(a.replayed ?? 0, 'event')} as ${n(a.queued ?? 0, 'new delivery', 'new deliveries')}, sent by the worker under each target's rate limit and concurrency`);
    }
    if (a.skipped) io.out(`${n(a.skipped, 'event')} skipped: no route takes ${a.skipped === 1 ? 'it' : 'them'} in the current config`);
    if (a.remaining) io.out(opts.dryRun ? `${a.remaining} more match past the limit` : `${a.remaining} more match: continue with --cursor ${a.nextCursor}`);
    for (const e of a.sample)
      io.out(
        `  ${printable(e.id)}  ${e.receivedAt}  ${printable(e.source)}  ${e.topic ? printable(e.topic) : c.dim('(no topic)')}  ${e.skipped ? c.dim(`skipped: ${printable(e.skipped)}`) : `→ ${printable((e.routes ?? []).join(', '))}`}`,
      );
  }
  if (a.sample.length < Math.min(a.matched, a.limit)) io.out(c.dim(`  … and ${Math.min(a.matched, a.limit) - a.sample.length} more`));
  return 0;
}

interface ExportAnswer {
  source: string;
  fixture: { name: string; contentType: string; body: string; encoding: 'utf8' | 'base64' };
  case: string;
  warnings: string[];
}

/**
 * `events export <id> --as-test [--fixtures dir]`: the event's payload written
 * as a fixture file (never over an existing one), and a `tests:` case for it on
 * stdout, its `payload:` relative to the config's directory — ready to append
 * under the config's `tests:` (GET /admin/events/:id/test).
 */
export async function exportTestCommand(opts: AdminClientOptions & { eventId: string; fixtures?: string }, io: IO): Promise<number> {
  const config = loadForCommand(opts.config, io);
  if (!config) return 1;
  const path = `/events/${encodeURIComponent(opts.eventId)}/test`;
  let r = await admin(config, opts, io, 'GET', path);
  if (!r) return 3;
  if (r.status !== 200) return failed(io, r);
  let answer = r.body as ExportAnswer;
  // Names from the server become paths here: a plain file name and a source name, nothing that climbs out.
  if (!/^[A-Za-z0-9_-]+$/.test(answer.source) || !/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(answer.fixture.name)) {
    io.err(`the admin API answered an unusable fixture name (${JSON.stringify(answer.fixture.name)}) or source (${JSON.stringify(answer.source)})`);
    return 1;
  }
  const dir = resolve(io.cwd, opts.fixtures ?? join('fixtures', answer.source));
  const file = join(dir, answer.fixture.name);
  const shown = relative(io.cwd, file) || file;
  const refuse = () => {
    io.err(`${shown} already exists: not overwritten (choose another --fixtures dir, or move the file away)`);
    return 1;
  };
  if (existsSync(file)) return refuse();
  // The case names the file as the config sees it: relative to the config's own directory.
  const fromConfig = relative(dirname(resolve(io.cwd, opts.config)), file);
  const payload = isAbsolute(fromConfig) ? fromConfig : fromConfig.startsWith('..') ? fromConfig.split(sep).join('/') : `./${fromConfig.split(sep).join('/')}`;
  if (payload !== `./fixtures/${answer.source}/${answer.fixture.name}`) {
    r = await admin(config, opts, io, 'GET', `${path}?payload=${encodeURIComponent(payload)}`);
    if (!r) return 3;
    if (r.status !== 200) return failed(io, r);
    answer = r.body as ExportAnswer;
  }
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, Buffer.from(answer.fixture.body, answer.fixture.encoding), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return refuse();
    io.err(`cannot write ${shown}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
    return 1;
  }
  io.err(`wrote ${shown}`);
  for (const w of answer.warnings) io.err(paint(io).yellow(`warning: ${w}`));
  io.out(caseForFile(answer.case, resolve(io.cwd, opts.config), config).trimEnd());
  return 0;
}

/**
 * The case indented like the config's own tests (its items may start at column
 * 0 or 2), with a `tests:` line above when the config has none yet.
 */
function caseForFile(text: string, file: string, config: Config): string {
  const tests = (config.document as { tests?: unknown } | null)?.tests;
  if (tests === undefined) return `tests:\n${text}`;
  let source = '';
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return text;
  }
  const indent = /^tests:[ \t]*(?:#.*)?\r?\n(?:[ \t]*(?:#.*)?\r?\n)*([ \t]*)- /m.exec(source)?.[1] ?? '  ';
  return text
    .split('\n')
    .map((line) => (line === '' ? line : indent + line.slice(2)))
    .join('\n');
}
