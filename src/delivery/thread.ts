// Inside a delivery thread (server.workers > 1): the claim loop of worker.ts on
// a thread of its own, so sending never competes with acknowledging for one
// event loop. The thread has its own store connection, sender and logger (pino
// writes to fd 1 itself, not through the main thread), and compiles the same
// config text as the main thread: a compiled Config holds functions and cannot
// be sent. What it counts for /metrics it hands to the main thread once per turn.
//
// The main thread (threads.ts) starts it with workerData and then sends
// "wake" (work was committed), { config } (a reload) and { stop }.
import { parentPort, workerData } from 'node:worker_threads';
import { loadConfigText } from '../config/load.js';
import type { Config, Target } from '../config/types.js';
import { errorMessage } from '../lib/errors.js';
import { createLogger } from '../observe/log.js';
import type { DeliveryMetrics } from '../observe/metrics.js';
import { startTracing, stopTracing } from '../observe/trace.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import { Sender, targetsOf } from './sender.js';
import { partOf, Worker } from './worker.js';

/** What the main thread gives a delivery thread. */
export interface ThreadData {
  readonly file: string;
  readonly text: string;
  readonly env: Record<string, string | undefined>;
  readonly index: number;
  /** Set when the targets are split between threads (SQLite: limits are kept per thread). */
  readonly part?: { readonly index: number; readonly count: number };
  readonly leaseMs?: number;
  readonly pollMs?: number;
}

export type ToThread = 'wake' | { readonly config: string; readonly hash: string } | { readonly stop: number };

export type FromThread =
  | { readonly type: 'ready'; readonly owner: string }
  | { readonly type: 'failed'; readonly reason: string }
  | { readonly type: 'metrics'; readonly items: readonly MetricItem[] }
  | { readonly type: 'stopped' };

export type MetricItem = readonly ['delivery', string, Parameters<DeliveryMetrics['delivery']>[1]] | readonly ['attempt', string, number, number | 'confirmed' | undefined];

/** Counts kept for one turn, then posted in one message. */
function forwardedMetrics(post: (m: FromThread) => void): DeliveryMetrics {
  let items: MetricItem[] = [];
  const push = (item: MetricItem) => {
    if (items.length === 0) {
      setImmediate(() => {
        const batch = items;
        items = [];
        post({ type: 'metrics', items: batch });
      });
    }
    items.push(item);
  };
  return {
    delivery: (route, outcome) => push(['delivery', route, outcome]),
    attempt: (target, seconds, status) => push(['attempt', target, seconds, status]),
  };
}

export async function runDeliveryThread(): Promise<void> {
  const port = parentPort!;
  const data = workerData as ThreadData;
  const post = (m: FromThread) => port.postMessage(m);
  const env = data.env as NodeJS.ProcessEnv;
  const first = loadConfigText(data.file, data.text, env);
  if (!first.config) {
    post({ type: 'failed', reason: `the delivery thread could not compile the config: ${first.issues.find((i) => i.severity === 'error')?.message ?? 'unknown error'}` });
    return;
  }
  let live: Config = first.config;
  const log = createLogger(env, undefined, () => live.secrets).child({ thread: data.index });
  let store: Store;
  try {
    store = await openStore(live.store, { inProcess: true });
  } catch (err) {
    post({ type: 'failed', reason: `the delivery thread could not open the store: ${live.redact.text(errorMessage(err))}` });
    return;
  }
  const tracing = await startTracing(env, log);
  const sender = new Sender();
  const worker = new Worker({
    store,
    sender,
    config: () => live,
    log,
    metrics: forwardedMetrics(post),
    leaseMs: data.leaseMs ?? live.server.leaseMs,
    ...(data.pollMs !== undefined ? { pollMs: data.pollMs } : {}),
    ...(data.part ? { part: data.part } : {}),
  });
  const mine = (c: Config): Map<string, Target> => {
    const all = targetsOf(c);
    if (data.part) for (const name of all.keys()) if (partOf(name, data.part.count) !== data.part.index) all.delete(name);
    return all;
  };
  let stopping = false;
  port.on('message', (m: ToThread) => {
    if (m === 'wake') return worker.wake();
    if ('config' in m) {
      const next = loadConfigText(data.file, m.config, env);
      if (!next.config) {
        log.error({ version: m.hash.slice(0, 12) }, 'delivery thread: the reloaded config did not compile here; this thread keeps the previous one');
        return;
      }
      if (next.config.hash !== m.hash)
        log.warn({ version: next.config.hash.slice(0, 12), main: m.hash.slice(0, 12) }, 'delivery thread: the config compiled to another version than on the main thread');
      live = next.config;
      sender.retain(mine(live));
      worker.wake();
      return;
    }
    if ('stop' in m && !stopping) {
      stopping = true;
      void (async () => {
        await worker.stop(m.stop);
        await sender.close().catch(() => undefined);
        await store.close().catch(() => undefined);
        if (tracing) await stopTracing();
        post({ type: 'stopped' });
      })();
    }
  });
  worker.start();
  // Not awaited: a broker that is down must not hold up the thread. Only this thread's targets.
  void sender.warm(mine(live).values(), (target, reason) => log.warn({ target, reason: live.redact.text(reason) }, 'target unreachable at start-up: its deliveries will wait and retry'));
  post({ type: 'ready', owner: worker.owner });
}
