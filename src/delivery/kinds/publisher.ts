// Publishing for the kinds that are not HTTP: one connection per target,
// opened on first use, shared by its deliveries, dropped after an error (the
// next attempt reconnects; the retry policy is the backoff), replaced when a
// reload changes the target, closed when a reload removes it and on shutdown.
// Every publish has one deadline covering connect and confirm, whatever the
// library does. The kind is given what is left of it minus a margin, so its own
// timeout (with its better words: an exec's output, what the broker said) comes
// first; a publish whose time ran out while it waited for the connection is
// never started (it was reported failed: starting it would send a duplicate).
// Shutdown aborts what is still running (an exec's child gets SIGTERM, then
// SIGKILL) and waits a little for it: those deliveries fail and are retried.
import type { Target } from '../../config/types.js';
import type { SendResult } from '../sender.js';
import { kinds } from './registry.js';
import { NotSent, PublishError, type Message, type TargetKind } from './types.js';
import { SETTLE_GRACE_MS } from './util.js';

interface Pooled {
  readonly settings: unknown;
  /** The settings as canonical text: a reload that compiles the same target anew keeps its connection. */
  readonly key: string;
  readonly kind: TargetKind;
  conn?: Promise<unknown>;
}

const EXCERPT = 2048;
/** On shutdown, how long publishes still running are waited for (an exec child's SIGTERM grace fits in it). */
const CLOSE_WAIT_MS = 5000;

/** What the kind gets of a timeout: its own deadline comes this much before the publisher's. */
export function kindBudget(timeoutMs: number): number {
  return timeoutMs - Math.min(250, Math.floor(timeoutMs / 10));
}

export class Publisher {
  private readonly pool = new Map<string, Pooled>();
  private closed = false;
  /** Aborted on close: kinds stop what they run (exec children). */
  private readonly stopping = new AbortController();
  private readonly running = new Set<Promise<unknown>>();

  async publish(target: Target, msg: Message): Promise<SendResult> {
    const started = performance.now();
    const took = () => Math.round((performance.now() - started) * 100) / 100;
    const kind = kinds.get(target.kind);
    if (!kind) return { error: `unknown target kind "${target.kind}"`, permanent: true, durationMs: took() };
    if (this.closed) return { error: 'shutting down', durationMs: took() };
    const entry = this.entry(target, kind);
    let timer: NodeJS.Timeout | undefined;
    let expired = false;
    const budget = kindBudget(target.timeoutMs);
    // The kind settles within its budget; only what it already handed over (an SMTP message whose end
    // was sent) may wait a little longer for the answer, rather than be reported failed and sent again.
    const deadline = new Promise<never>((_, rej) => {
      timer = setTimeout(
        () => {
          expired = true;
          rej(new PublishError(`timeout: not confirmed within ${target.timeoutMs} ms`));
        },
        target.timeoutMs + Math.min(SETTLE_GRACE_MS, target.timeoutMs),
      );
    });
    try {
      const work = (async () => {
        if (kind.connect && !entry.conn) {
          entry.conn = kind.connect(entry.settings, budget);
          // A connect that fails is forgotten at once, so the next attempt tries again.
          entry.conn.catch(() => {
            if (this.pool.get(target.name) === entry) entry.conn = undefined;
          });
        }
        const conn = kind.connect ? await deadlineRace(entry.conn!, started + budget, target.timeoutMs) : undefined;
        // The time may have run out while waiting for the connection (opened by another publish): never start late.
        const left = Math.floor(started + budget - performance.now());
        if (expired || left <= 0) throw new NotSent(`timeout: no time left to publish within ${target.timeoutMs} ms (waiting for the connection took it); not sent`);
        if (this.closed) throw new NotSent('shutting down; not sent');
        return kind.publish(conn, msg, entry.settings, left, this.stopping.signal);
      })();
      this.running.add(work);
      const forget = () => this.running.delete(work);
      work.then(forget, forget); // the deadline may win; the loser must not become an unhandled rejection
      const confirmation = await Promise.race([work, deadline]);
      return { confirmed: true, body: confirmation.detail.slice(0, EXCERPT), durationMs: took() };
    } catch (err) {
      const permanent = err instanceof PublishError && err.permanent;
      // After a failure the connection's state is unknown: drop it (permanent errors are about the message, not the link;
      // a publish that gave up waiting for a connection another one is opening leaves that connection be).
      if (!permanent && !(err instanceof NotSent) && !kind.selfHealing) this.drop(target.name, entry);
      return { error: describe(err).slice(0, EXCERPT), ...(permanent ? { permanent: true } : {}), durationMs: took() };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Opens each broker target's connection at start-up, so an unreachable one is
   * said at once — a warning, not an error: its deliveries wait and retry.
   */
  async warm(targets: Iterable<Target>, warn: (target: string, reason: string) => void): Promise<void> {
    await Promise.all(
      [...targets].map(async (target) => {
        const kind = kinds.get(target.kind);
        if (!kind?.connect || this.closed) return;
        const entry = this.entry(target, kind);
        if (entry.conn) return;
        let timer: NodeJS.Timeout | undefined;
        const conn = kind.connect(entry.settings, target.timeoutMs);
        entry.conn = conn;
        try {
          await Promise.race([conn, new Promise((_, rej) => (timer = setTimeout(() => rej(new Error(`no connection within ${target.timeoutMs} ms`)), target.timeoutMs)))]);
        } catch (err) {
          conn.catch(() => undefined);
          this.drop(target.name, entry);
          warn(target.name, describe(err));
        } finally {
          clearTimeout(timer);
        }
      }),
    );
  }

  /** Closes connections of targets the new config no longer has, or has changed. */
  retain(targets: ReadonlyMap<string, Target>): void {
    for (const [name, entry] of this.pool) {
      const t = targets.get(name);
      if (!t || settingsKey(t) !== entry.key) this.drop(name, entry);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopping.abort();
    const all = [...this.pool.entries()];
    this.pool.clear();
    let timer: NodeJS.Timeout | undefined;
    const running = Promise.allSettled([...this.running]);
    await Promise.all([...all.map(([, e]) => closeEntry(e)), Promise.race([running, new Promise((r) => (timer = setTimeout(r, CLOSE_WAIT_MS)))]).finally(() => clearTimeout(timer))]);
  }

  private entry(target: Target, kind: TargetKind): Pooled {
    const have = this.pool.get(target.name);
    const key = settingsKey(target);
    if (have && have.key === key) return have;
    if (have) this.drop(target.name, have);
    const fresh: Pooled = { settings: target.kindSettings, key, kind };
    this.pool.set(target.name, fresh);
    return fresh;
  }

  private drop(name: string, entry: Pooled): void {
    if (this.pool.get(name) === entry) this.pool.delete(name);
    void closeEntry(entry);
  }
}

/** The connection, or a timeout once `until` (a performance.now() time) passes. */
function deadlineRace<T>(conn: Promise<T>, until: number, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new NotSent(`timeout: no connection within ${timeoutMs} ms; not sent`)), Math.max(0, until - performance.now()));
  });
  return Promise.race([conn, late]).finally(() => clearTimeout(timer));
}

function settingsKey(t: Target): string {
  return `${t.kind}:${JSON.stringify(t.kindSettings, (_k, v: unknown) => (v instanceof RegExp ? String(v) : v))}`;
}

async function closeEntry(e: Pooled): Promise<void> {
  const conn = e.conn;
  e.conn = undefined;
  if (!conn || !e.kind.close) return;
  try {
    await e.kind.close(await conn);
  } catch {
    // Closing a connection that already broke: nothing to do.
  }
}

function describe(err: unknown): string {
  const e = err as { message?: string; code?: string };
  const code = e.code && !String(e.message ?? '').includes(e.code) ? ` (${e.code})` : '';
  if (e.code === 'ECONNREFUSED') return 'connection refused';
  return `${e.message ?? String(err)}${code}`;
}
