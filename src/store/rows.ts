// Row shapes both stores share, and their mapping to the Store's types.
import type { StoredDelivery } from './types.js';

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
