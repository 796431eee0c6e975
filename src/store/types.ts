// The store: where an event and its deliveries become durable before the
// sender gets its 200. It knows nothing of HTTP; SQLite and PostgreSQL
// implement the same interface (and pass the same tests).

export interface NewEvent {
  readonly source: string;
  readonly topic: string;
  /** The sender's delivery id (absorbs resends), when it has one. */
  readonly deliveryId?: string;
  /** Milliseconds since the epoch. */
  readonly receivedAt: number;
  /** Lower-cased names; credential headers already masked. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly contentType?: string;
  /** Routes whose topics match: one pending delivery each. */
  readonly routes: readonly string[];
}

export interface IngestResult {
  readonly eventId: string;
  /** True when (source, deliveryId) was seen before: nothing new was queued. */
  readonly duplicate: boolean;
  readonly deliveries: number;
}

export interface StoredEvent {
  readonly id: string;
  readonly source: string;
  readonly topic: string;
  readonly deliveryId?: string;
  readonly receivedAt: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly contentType?: string;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'filtered' | 'dead' | 'cancelled';

export interface StoredDelivery {
  readonly id: string;
  readonly eventId: string;
  readonly route: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly createdAt: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** The event and one pending delivery per route, in one transaction; a known (source, deliveryId) adds nothing. */
  ingest(event: NewEvent): Promise<IngestResult>;
  getEvent(id: string): Promise<StoredEvent | undefined>;
  deliveriesFor(eventId: string): Promise<StoredDelivery[]>;
  countEvents(): Promise<number>;
  /** Can the store be written to right now? For /readyz. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** A problem with the store the server cannot fix itself (answered 503, never 200). */
export class StoreError extends Error {
  override readonly name = 'StoreError';
}
