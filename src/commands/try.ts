// `switchboard try <source> <payload-file>`: a dry run. Shows the topic and id,
// each route's verdict, and the exact requests that would be sent. Sends nothing.
import { hint } from '../config/didyoumean.js';
import type { Config, Source } from '../config/types.js';
import { planDelivery } from '../delivery/plan.js';
import { identify, splitPayloads } from '../event/identify.js';
import { dryRunStamp, plannedEvent } from '../event/planned.js';
import { type createRedactor } from '../observe/redact.js';
import { loadForCommand, paint, readPayloadFile, type IO } from './io.js';
import { renderRequest, requestJson } from './render.js';
import { errorMessage } from '../lib/errors.js';

export interface TryOptions {
  config: string;
  source: string;
  payloadFile: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  /** One JSON document on stdout (`--json`) instead of the text. */
  json?: boolean;
}

/** What `--json` prints for one event (one per element of a split body). */
interface TriedEvent {
  topic: string;
  id: string | null;
  problems: string[];
  routes: { route: string; target: string; verdict: 'send' | 'filtered' | 'error' | 'topic-mismatch'; reason?: string; requests?: ReturnType<typeof requestJson>[] }[];
}

/** An IO that prints nothing (the text, while --json collects the result). */
function quiet(io: IO): IO {
  return { ...io, out: () => undefined, color: false };
}

export async function tryCommand(opts: TryOptions, outer: IO): Promise<number> {
  const config = loadForCommand(opts.config, outer);
  if (!config) return 1;
  const io = opts.json ? quiet(outer) : outer;
  const tried: TriedEvent[] = [];
  const c = paint(io);
  const source = config.sources.get(opts.source);
  if (!source) {
    io.err(`unknown source "${opts.source}"${hint(opts.source, config.sources.keys())} (sources: ${[...config.sources.keys()].join(', ')})`);
    return 1;
  }
  const loaded = readPayloadFile(opts.payloadFile, opts.headers['content-type']);
  if ('error' in loaded) {
    io.err(loaded.error);
    return 1;
  }
  const headers = { 'content-type': loaded.contentType, ...opts.headers };
  const redact = config.redact;
  // A batched body (split:) is one event per element, as the server stores it.
  let items: { payload: unknown; raw: Buffer; contentType: string; kind: string }[] = [{ payload: loaded.payload, raw: Buffer.from(loaded.raw), contentType: loaded.contentType, kind: loaded.kind }];
  if (source.split) {
    let arr: unknown[];
    try {
      arr = await splitPayloads(source, { headers, query: opts.query, payload: loaded.payload });
    } catch (err) {
      io.err(`split failed: ${redact.text(errorMessage(err))}`);
      return 1;
    }
    if (arr.length > config.server.maxSplit) {
      io.err(`the body holds ${arr.length} events; at most ${config.server.maxSplit} (server.maxSplit): the server would answer 413`);
      return 1;
    }
    io.out(c.bold(`Split: ${arr.length} event${arr.length === 1 ? '' : 's'} (${source.split.text})`));
    io.out('');
    items = arr.map((p) => {
      const raw = Buffer.from(JSON.stringify(p ?? null));
      return { payload: p, raw, contentType: 'application/json', kind: 'JSON' };
    });
  }
  let worst = 0;
  for (const [i, item] of items.entries()) {
    if (items.length > 1) io.out(c.bold(`— event ${i + 1} of ${items.length}`));
    worst = Math.max(worst, await tryOne(config, source, opts, headers, item, redact, io, tried));
  }
  if (opts.json) outer.out(JSON.stringify({ source: source.name, sent: false, events: tried }));
  return worst;
}

async function tryOne(
  config: Config,
  source: Source,
  opts: TryOptions,
  headers: Record<string, string>,
  loaded: { payload: unknown; raw: Buffer; contentType: string; kind: string },
  redact: ReturnType<typeof createRedactor>,
  io: IO,
  tried: TriedEvent[],
): Promise<number> {
  const c = paint(io);
  const pieces = { source: source.name, headers, query: opts.query, payload: loaded.payload, rawBody: loaded.raw, contentType: loaded.contentType };
  const who = await identify(source, pieces);
  const event = plannedEvent(pieces, who.topic, dryRunStamp());

  const record: TriedEvent = { topic: redact.text(who.topic), id: who.deliveryId ? redact.text(who.deliveryId) : null, problems: who.problems.map((p) => redact.text(p)), routes: [] };
  tried.push(record);
  io.out(c.bold('Event'));
  io.out(`  source  ${source.name} (POST ${config.server.basePath}${source.path}, verify: ${source.verify.scheme.name}; not checked in a dry run)`);
  io.out(`  body    ${loaded.kind}, ${loaded.raw.length} bytes`);
  io.out(`  topic   ${who.topic === '' ? c.dim('(none)') : redact.text(who.topic)}`);
  io.out(`  id      ${who.deliveryId ? redact.text(who.deliveryId) : c.dim('(none: duplicates of this event cannot be recognised)')}`);
  for (const p of who.problems) io.out(`  ${c.red('!')} ${redact.text(p)}`);
  io.out('');
  io.out(c.bold('Routes'));

  const routes = config.routesBySource.get(source.name) ?? [];
  if (routes.length === 0) io.out(`  ${c.dim(`no route takes events from "${source.name}"`)}`);
  let sending = 0;
  let requests = 0;
  let errors = 0;
  let endsBlank = false; // a request block ends with a blank line already
  for (const route of routes) {
    endsBlank = false;
    const arrow = `${route.name} → ${route.target.name}`;
    const entry = { route: route.name, target: route.target.name };
    if (!route.matchesTopic(who.topic)) {
      record.routes.push({ ...entry, verdict: 'topic-mismatch', reason: redact.text(`topic "${who.topic}" does not match ${JSON.stringify(route.topics)}`) });
      io.out(`  ${c.dim('·')} ${arrow}: ${c.dim(redact.text(`topic "${who.topic}" does not match ${JSON.stringify(route.topics)}`))}`);
      continue;
    }
    const plan = await planDelivery(route, event, `dry-run-${route.name}`, { maxFanout: config.server.maxFanout });
    if (plan.outcome === 'filtered') {
      record.routes.push({ ...entry, verdict: 'filtered', reason: redact.text(plan.reason) });
      io.out(`  ${c.dim('·')} ${arrow}: ${c.dim(`filtered (${redact.text(plan.reason)})`)}`);
    } else if (plan.outcome === 'error') {
      errors++;
      record.routes.push({ ...entry, verdict: 'error', reason: redact.text(plan.message) });
      io.out(`  ${c.red('✗')} ${arrow}: ${c.red(redact.text(plan.message))}`);
    } else {
      sending++;
      requests += plan.requests.length;
      record.routes.push({ ...entry, verdict: 'send', requests: plan.requests.map((r) => requestJson(r, redact)) });
      const n = plan.requests.length;
      io.out(`  ${c.green('✓')} ${arrow}: would send ${n} request${n === 1 ? '' : 's'}`);
      for (const req of plan.requests) {
        io.out('');
        for (const line of renderRequest(req, redact, '      ')) io.out(line);
      }
      io.out('');
      endsBlank = true;
    }
  }
  if (!endsBlank) io.out('');
  io.out(`${sending} of ${routes.length} route${routes.length === 1 ? '' : 's'} would send ${requests} request${requests === 1 ? '' : 's'}${errors ? `, ${errors} failed` : ''}. Nothing was sent.`);
  return errors > 0 ? 1 : 0;
}
