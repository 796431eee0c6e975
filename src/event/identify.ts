// What an incoming webhook is about: its topic and the sender's delivery id,
// from the source's own expressions or its scheme's preset rules. Shared by
// the server, the worker's neighbours (`try`, `test`, the admin's preview and
// save-as-test), so a dry run sees exactly what the server would.
import type { Bindings } from '../config/expr.js';
import type { Source } from '../config/types.js';
import { errorMessage } from '../lib/errors.js';

export interface IncomingRequest {
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly payload: unknown;
}

export interface EventIdentity {
  topic: string;
  /** The sender's delivery id, when it has one (used to absorb resends). */
  deliveryId?: string;
  /** Why a configured topic/id expression failed, if it did. */
  problems: string[];
}

/** What a source's own expressions (topic, id, split) see: the request, before it is an event. */
export type SourceBindings = Pick<Bindings, 'headers' | 'query' | 'source'>;

export function sourceBindings(source: Source, req: IncomingRequest): SourceBindings {
  return { headers: req.headers, query: req.query, source: source.name };
}

export async function identify(source: Source, req: IncomingRequest): Promise<EventIdentity> {
  const problems: string[] = [];
  const view = { headers: req.headers, query: req.query, payload: req.payload };
  const bindings = sourceBindings(source, req);
  let topic: string | undefined;
  if (source.topic) {
    try {
      topic = scalarText(await source.topic.evaluate(req.payload, bindings));
    } catch (err) {
      problems.push(`topic expression failed: ${errorMessage(err)}`);
    }
  } else topic = await source.verify.scheme.topic?.(view);
  let deliveryId: string | undefined;
  if (source.id) {
    try {
      deliveryId = scalarText(await source.id.evaluate(req.payload, bindings));
    } catch (err) {
      problems.push(`id expression failed: ${errorMessage(err)}`);
    }
  } else deliveryId = await source.verify.scheme.id?.(view);
  return { topic: topic ?? '', ...(deliveryId ? { deliveryId } : {}), problems };
}

/**
 * The payloads of the events one body holds: with `split:`, one per element of
 * the expression's array (a single value is a list of one, nothing is none);
 * without, the body's own. Throws what the expression throws; each caller
 * words that failure its own way.
 */
export async function splitPayloads(source: Source, req: IncomingRequest): Promise<unknown[]> {
  if (!source.split) return [req.payload];
  const list = await source.split.evaluate(req.payload, sourceBindings(source, req));
  return list === undefined || list === null ? [] : Array.isArray(list) ? (list as unknown[]) : [list];
}

/** A topic or id as text: a string as it is, a number or boolean printed, a structure as JSON, nothing (or '') as none. */
export function scalarText(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}
