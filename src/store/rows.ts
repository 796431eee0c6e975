// Row shapes both stores share, and their mapping to the Store's types.
import type { RoutingRecord, StoredAttempt, StoredDelivery, StoredEvent } from './types.js';

export interface DeliveryRow {
  id: string;
  event_id: string;
  route: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
  last_status: number | null;
  last_error: string | null;
}

export function toDelivery(r: DeliveryRow): StoredDelivery {
  return {
    id: r.id,
    eventId: r.event_id,
    route: r.route,
    status: r.status as StoredDelivery['status'],
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    createdAt: r.created_at,
    ...(r.last_status !== null ? { lastStatus: r.last_status } : {}),
    ...(r.last_error !== null ? { lastError: r.last_error } : {}),
  };
}

/** An events row, its JSON columns decoded (PostgreSQL does that itself; SQLite stores text). */
export interface EventRow {
  id: string;
  source: string;
  topic: string;
  delivery_id: string | null;
  received_at: number;
  headers: Record<string, string>;
  body: Buffer;
  content_type: string | null;
  query: Record<string, string> | null;
  routing?: RoutingRecord | null;
}

export function toEvent(row: EventRow): StoredEvent {
  return {
    id: row.id,
    source: row.source,
    topic: row.topic,
    ...(row.delivery_id !== null ? { deliveryId: row.delivery_id } : {}),
    receivedAt: row.received_at,
    headers: row.headers,
    body: row.body,
    ...(row.content_type !== null ? { contentType: row.content_type } : {}),
    ...(row.query ? { query: row.query } : {}),
    ...(row.routing ? { routing: row.routing } : {}),
  };
}

/** The routing record as stored: JSON, or null when there is none. */
export function routingText(r: RoutingRecord | undefined): string | null {
  return r ? JSON.stringify(r) : null;
}

/** An attempts row, its JSON columns decoded. */
export interface AttemptRow {
  delivery_id: string;
  started_at: number;
  duration_ms: number;
  request: StoredAttempt['request'];
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: string | null;
  error: string | null;
}

export function toAttempt(r: AttemptRow): StoredAttempt {
  return {
    deliveryId: r.delivery_id,
    startedAt: r.started_at,
    durationMs: r.duration_ms,
    request: r.request,
    ...(r.response_status !== null ? { responseStatus: r.response_status } : {}),
    ...(r.response_headers !== null ? { responseHeaders: r.response_headers } : {}),
    ...(r.response_body !== null ? { responseBody: r.response_body } : {}),
    ...(r.error !== null ? { error: r.error } : {}),
  };
}
