// The event as every route expression sees it — the worker delivering it, the
// ingress answering with `respond:`, `try`, `test` and the admin's preview and
// save-as-test — built in one place, so that all of them bind the same names
// to the same values.
import type { Bindings } from '../config/expr.js';
import type { StoredEvent } from '../store/types.js';
import type { IncomingRequest } from './identify.js';

export interface PlannedEvent {
  readonly id: string;
  readonly source: string;
  readonly topic: string;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly payload: unknown;
  readonly rawBody: Uint8Array;
  readonly contentType?: string;
  /** ISO 8601. */
  readonly receivedAt: string;
}

/** What a request brings to its event: the source it came to, and its body both as bytes and parsed. */
export interface EventPieces extends IncomingRequest {
  readonly source: string;
  readonly rawBody: Uint8Array;
  readonly contentType?: string | undefined;
}

/** What the store gives an event: its id and when it came (epoch ms, or ISO 8601 for a fixed stamp). */
export interface EventStamp {
  readonly id: string;
  readonly receivedAt: number | string;
}

/** The id and time every `tests:` case runs with: fixed, so expectations can mention them and runs repeat. */
export const TEST_STAMP: EventStamp = Object.freeze({ id: 'evt_test', receivedAt: '2026-01-01T00:00:00.000Z' });

/** A dry run's event (`switchboard try`): never stored, received now. */
export function dryRunStamp(now = Date.now()): EventStamp {
  return { id: 'evt_dry_run', receivedAt: now };
}

/** The event made of a request's pieces, the topic read from it (identify) and its stamp. */
export function plannedEvent(pieces: EventPieces, topic: string, stamp: EventStamp): PlannedEvent {
  return {
    id: stamp.id,
    source: pieces.source,
    topic,
    headers: pieces.headers,
    query: pieces.query,
    payload: pieces.payload,
    rawBody: pieces.rawBody,
    ...(pieces.contentType !== undefined ? { contentType: pieces.contentType } : {}),
    receivedAt: typeof stamp.receivedAt === 'string' ? stamp.receivedAt : new Date(stamp.receivedAt).toISOString(),
  };
}

/**
 * A recorded event with its body parsed (`payload`), as the worker delivers it.
 * `topic`: the one to plan with when it is read again under another config
 * (the admin's preview); by default the one it was stored with.
 */
export function recordedEvent(event: StoredEvent, payload: unknown, topic: string = event.topic): PlannedEvent {
  const pieces: EventPieces = {
    source: event.source,
    headers: event.headers,
    query: event.query ?? {},
    payload,
    rawBody: event.body,
    contentType: event.contentType,
  };
  return plannedEvent(pieces, topic, event);
}

/** The variables every route expression (filter, transform, templates, respond.body) sees (SPEC §2). */
export function bindingsFor(event: PlannedEvent): Bindings {
  return {
    headers: event.headers,
    query: event.query,
    topic: event.topic,
    source: event.source,
    eventId: event.id,
    receivedAt: event.receivedAt,
  };
}
