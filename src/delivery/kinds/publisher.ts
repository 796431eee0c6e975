// Publishing for the kinds that are not HTTP: one connection per target,
// opened on first use, shared by its deliveries, dropped after an error (the
// next attempt reconnects; the retry policy is the backoff), replaced when a
// reload changes the target, closed when a reload removes it and on shutdown.
// Every publish has one deadline covering connect and confirm, whatever the
// library does.
import type { Target } from '../../config/types.js';
import type { SendResult } from '../sender.js';
import { kinds } from './registry.js';
import { PublishError, type Message, type TargetKind } from './types.js';

interface Pooled {
  readonly settings: unknown;
  /** The settings as canonical text: a reload that compiles the same target anew keeps its connection. */
  readonly key: string;
  readonly kind: TargetKind;
  conn?: Promise<unknown>;
}

const EXCERPT = 2048;

export class Publisher {
  private readonly pool = new Map<string, Pooled>();
  private closed = false;

  async publish(target: Target, msg: Message): Promise<SendResult> {
    const started = performance.now();
    const took = () => Math.round((performance.now() - started) * 100) / 100;
    const kind = kinds.get(target.kind);
    if (!kind) return { error: `unknown target kind "${target.kind}"`, permanent: true, durationMs: took() };
    if (this.closed) return { error: 'shutting down', durationMs: took() };
    const entry = this.entry(target, kind);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new PublishError(`timeout: not confirmed within ${target.timeoutMs} ms`)), target.timeoutMs);
    });
    try {
      const work = (async () => {
        if (kind.connect && !entry.conn) {
          entry.conn = kind.connect(entry.settings, target.timeoutMs);
          // A connect that fails is forgotten at once, so the next attempt tries again.
          entry.conn.catch(() => {
            if (this.pool.get(target.name) === entry) entry.conn = undefined;
          });
        }
        const conn = kind.connect ? await entry.conn : undefined;
        return kind.publish(conn, msg, entry.settings, target.timeoutMs);
      })();
      work.catch(() => undefined); // the deadline may win; the loser must not become an unhandled rejection
      const confirmation = await Promise.race([work, deadline]);
      return { confirmed: true, body: confirmation.detail.slice(0, EXCERPT), durationMs: took() };
    } catch (err) {
      const permanent = err instanceof PublishError && err.permanent;
      // After a failure the connection's state is unknown: drop it (permanent errors are about the message, not the link).
      if (!permanent) this.drop(target.name, entry);
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
    const all = [...this.pool.entries()];
    this.pool.clear();
    await Promise.all(all.map(([, e]) => closeEntry(e)));
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
