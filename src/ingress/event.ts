// What an incoming webhook is about: its topic and the sender's delivery id,
// from the source's own expressions or its scheme's preset rules. Shared by
// the server and by `try`/`test`, so a dry run sees exactly what the server would.
import type { Source } from '../config/types.js';

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

export async function identify(source: Source, req: IncomingRequest): Promise<EventIdentity> {
  const problems: string[] = [];
  const view = { headers: req.headers, query: req.query, payload: req.payload };
  const bindings = { headers: req.headers, query: req.query, source: source.name };
  let topic: string | undefined;
  if (source.topic) {
    try {
      topic = scalarText(await source.topic.evaluate(req.payload, bindings));
    } catch (err) {
      problems.push(`topic expression failed: ${(err as Error).message}`);
    }
  } else topic = source.verify.scheme.topic?.(view);
  let deliveryId: string | undefined;
  if (source.id) {
    try {
      deliveryId = scalarText(await source.id.evaluate(req.payload, bindings));
    } catch (err) {
      problems.push(`id expression failed: ${(err as Error).message}`);
    }
  } else deliveryId = source.verify.scheme.id?.(view);
  return { topic: topic ?? '', ...(deliveryId ? { deliveryId } : {}), problems };
}

function scalarText(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}
