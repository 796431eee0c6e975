// Payloads just parsed at ingest, kept for the delivery that follows moments
// later, so the worker does not parse the stored body again (the profile's
// second JSON.parse of every event). Only an optimisation: a miss (a replay, a
// retry, a restart, another process, an evicted entry) parses the stored body
// as before, and both give the same value — the payload kept is the one parsed
// from exactly the bytes that were stored. Bounded in entries and in body bytes;
// the oldest go first; an entry goes as soon as each of the event's deliveries
// has read it (kept after, 2,000 payloads stayed live at rest after a burst: a
// third of the heap). Expressions only read a payload, never change it.

const MAX_ENTRIES = 2000;
const MAX_BYTES = 16 * 1024 * 1024;

const entries = new Map<string, { payload: unknown; bytes: number; readers: number }>();
let bytes = 0;
/** Servers whose deliveries run on other threads (nothing here would read what is kept): while any runs, nothing is kept. */
let elsewhere = 0;

/** A server delivering on threads starts (true) or stops (false): while one runs, payloads are not kept. */
export function deliveriesElsewhere(on: boolean): void {
  elsewhere = Math.max(0, elsewhere + (on ? 1 : -1));
  if (elsewhere > 0) {
    entries.clear();
    bytes = 0;
  }
}

/** Keeps the payload parsed from the `size` bytes stored as event `eventId`, for its `readers` deliveries. */
export function rememberPayload(eventId: string, payload: unknown, size: number, readers: number): void {
  if (elsewhere > 0 || readers < 1 || size > MAX_BYTES / 16 || entries.has(eventId)) return;
  entries.set(eventId, { payload, bytes: size, readers });
  bytes += size;
  while (entries.size > MAX_ENTRIES || bytes > MAX_BYTES) {
    const [oldest, e] = entries.entries().next().value as [string, { bytes: number }];
    entries.delete(oldest);
    bytes -= e.bytes;
  }
}

/** The payload parsed at ingest for this event, while it is still kept; the last of its deliveries to read it lets it go. */
export function freshPayload(eventId: string): { ok: true; payload: unknown } | undefined {
  const e = entries.get(eventId);
  if (!e) return undefined;
  if (--e.readers <= 0) {
    entries.delete(eventId);
    bytes -= e.bytes;
  }
  return { ok: true, payload: e.payload };
}

/** How many are kept (tests). */
export function freshCount(): number {
  return entries.size;
}
