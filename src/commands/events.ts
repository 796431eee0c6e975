// `switchboard events` and `switchboard replay <id>`: the admin API from the
// command line, with the admin token from the config (or SWITCHBOARD_ADMIN_TOKEN).
import type { Config } from '../config/types.js';
import { loadForCommand, paint, type IO } from './io.js';

export interface AdminClientOptions {
  config: string;
  url?: string;
}

async function admin(config: Config, opts: AdminClientOptions, io: IO, method: string, path: string): Promise<{ status: number; body: unknown } | undefined> {
  const base = (opts.url ?? `http://127.0.0.1:${config.server.port}`).replace(/\/+$/, '');
  const headers: Record<string, string> = config.admin.token ? { Authorization: `Bearer ${config.admin.token}` } : {};
  try {
    const res = await fetch(`${base}/admin${path}`, { method, headers });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body };
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
  if (!r) return 1;
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
    io.out(`${mark} ${e.id}  ${e.receivedAt}  ${e.source}  ${e.topic || c.dim('(no topic)')}  ${c.dim(ds)}`);
  }
  return 0;
}

export async function replayCommand(opts: AdminClientOptions & { eventId: string }, io: IO): Promise<number> {
  const config = loadForCommand(opts.config, io);
  if (!config) return 1;
  const r = await admin(config, opts, io, 'POST', `/events/${encodeURIComponent(opts.eventId)}/replay`);
  if (!r) return 1;
  if (r.status !== 202) return failed(io, r);
  const { deliveries } = r.body as { deliveries: { id: string; route: string }[] };
  for (const d of deliveries) io.out(`queued ${d.id} (route ${d.route})`);
  return 0;
}
