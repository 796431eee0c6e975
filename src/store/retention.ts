// Retention: settled events older than the config's retention go, in small
// batches that yield to the event loop between them, every few minutes. The
// server starts it after listening and stops it before closing the store.
import { errorMessage } from '../lib/errors.js';
import type { Store } from './types.js';

/** What the loop logs through (the server's pino logger). */
export interface RetentionLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface RetentionOptions {
  /** How old a settled event may get (read at each run: a reload may change it). */
  retentionMs: () => number;
  log: RetentionLog;
  /** How often to prune; the first run comes after this or a minute, whichever is sooner. */
  everyMs: number;
  /** Events removed per store call. */
  batch?: number;
}

export interface Pruner {
  /** No run starts after this; resolves once a run in progress has finished its batch. */
  stop(): Promise<void>;
}

const BATCH = 500;
const FIRST_RUN_MAX_MS = 60_000;

export function startPruning(store: Pick<Store, 'prune'>, opts: RetentionOptions): Pruner {
  const batch = opts.batch ?? BATCH;
  let stopped = false;
  let running: Promise<void> | undefined;
  const prune = async () => {
    let total = 0;
    const cutoff = Date.now() - opts.retentionMs();
    try {
      while (!stopped) {
        const n = await store.prune(cutoff, batch);
        total += n;
        if (n < batch) break;
        await new Promise((r) => setImmediate(r));
      }
      if (total > 0) opts.log.info({ pruned: total, olderThan: new Date(cutoff).toISOString() }, 'pruned settled events past retention');
    } catch (err) {
      opts.log.warn({ err: errorMessage(err) }, 'pruning failed; will try again');
    }
  };
  const run = () => {
    if (stopped || running) return;
    running = prune().finally(() => (running = undefined));
  };
  const timer = setInterval(run, opts.everyMs).unref();
  const first = setTimeout(run, Math.min(opts.everyMs, FIRST_RUN_MAX_MS)).unref();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      clearTimeout(first);
      await running;
    },
  };
}
