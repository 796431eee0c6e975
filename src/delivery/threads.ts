// The main thread's side of the delivery threads (server.workers > 1): starts
// `workers - 1` threads running thread.ts, wakes them once per turn when work
// is committed, sends them each reload's text, applies what they count to the
// one /metrics registry, and stops them on shutdown (each finishes its calls in
// flight first). A thread that dies is logged and started again after a
// second; the leases it held are released as soon as it has exited, so its
// deliveries are due again at once (not when the leases would run out).
//
// With SQLite the targets are split between the threads by name, so each
// target's concurrency and rate limits are kept by one thread, as in one loop.
// With PostgreSQL the limits are kept in the store and any thread may send to
// any target.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker as Thread } from 'node:worker_threads';
import type { Config } from '../config/types.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../observe/log.js';
import type { Metrics } from '../observe/metrics.js';
import type { FromThread, ThreadData, ToThread } from './thread.js';

// Plain JavaScript evaluated in the thread: the test runner cannot start a
// worker from a .ts file, and this works the same from dist/ and from src/.
const BOOT = `
const { workerData } = require('node:worker_threads');
import(workerData.module).then((m) => m.runDeliveryThread()).catch((err) => {
  require('node:worker_threads').parentPort.postMessage({ type: 'failed', reason: 'cannot start the delivery thread: ' + (err && err.message) });
});
`;

/**
 * The compiled thread module: the sibling thread.js when running from dist/,
 * or dist/'s copy when running from src/ under the test runner. Undefined when
 * there is none (not built): the server then delivers on its main thread.
 */
export function threadModule(): string | undefined {
  const here = fileURLToPath(import.meta.url);
  const candidate = here.endsWith('.js') ? here.replace(/threads\.js$/, 'thread.js') : here.replace(/([\\/])src([\\/]delivery[\\/])threads\.ts$/, '$1dist$2thread.js');
  return candidate.endsWith('.js') && existsSync(candidate) ? pathToFileURL(candidate).href : undefined;
}

export interface ThreadsOptions {
  readonly count: number;
  readonly config: Config;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Split the targets between the threads (a store whose limits are kept in memory). */
  readonly split: boolean;
  readonly leaseMs?: number;
  readonly pollMs?: number;
  readonly module: string;
  /** Releases the leases a thread that died held (the store's releaseLeasesOf). */
  readonly releaseLeasesOf?: (owner: string) => Promise<number>;
}

/** How long after a crash a thread is started again. */
const RESTART_MS = 1000;
/** How much longer than the grace period a stopping thread gets to say it stopped, before it is terminated. */
const STOP_SLACK_MS = 5000;

interface Running {
  thread: Thread;
  ready: Promise<void>;
  stopped?: () => void;
  /** Its worker's lease owner, from its ready message. */
  owner?: string;
}

export class DeliveryThreads {
  private readonly running: (Running | undefined)[];
  private config: Config;
  private wakeQueued = false;
  private stopping = false;
  private readonly restarts = new Set<NodeJS.Timeout>();

  constructor(private readonly opts: ThreadsOptions) {
    this.config = opts.config;
    this.running = Array.from({ length: opts.count }, () => undefined);
  }

  get count(): number {
    return this.opts.count;
  }

  /** Starts every thread; rejects (and stops those started) when one cannot start. */
  async start(): Promise<void> {
    for (let i = 0; i < this.opts.count; i++) this.running[i] = this.spawn(i);
    try {
      await Promise.all(this.running.map((r) => r!.ready));
    } catch (err) {
      await this.stop(0);
      throw err;
    }
  }

  /** Work was committed: every thread looks for it, once per turn however many commits there were. */
  wake(): void {
    if (this.wakeQueued || this.stopping) return;
    this.wakeQueued = true;
    setImmediate(() => {
      this.wakeQueued = false;
      this.post('wake');
    });
  }

  /** A reload: each thread compiles the same text. */
  setConfig(config: Config): void {
    this.config = config;
    this.post({ config: config.text, hash: config.hash });
  }

  /** Each thread stops claiming and finishes its calls in flight (up to `graceMs`), then ends. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    for (const t of this.restarts) clearTimeout(t);
    this.restarts.clear();
    await Promise.all(
      this.running.map(async (r, i) => {
        if (!r) return;
        const stopped = new Promise<void>((resolve) => (r.stopped = resolve));
        const stop: ToThread = { stop: graceMs };
        r.thread.postMessage(stop);
        await Promise.race([stopped, new Promise((res) => setTimeout(res, graceMs + STOP_SLACK_MS).unref())]);
        await r.thread.terminate();
        this.running[i] = undefined;
      }),
    );
  }

  /** Ends thread `index` at once, as a crash would (tests): it is started again like a thread that died. */
  async kill(index: number): Promise<void> {
    await this.running[index]?.thread.terminate();
  }

  private post(m: ToThread): void {
    for (const r of this.running) r?.thread.postMessage(m);
  }

  private spawn(index: number): Running {
    const data: ThreadData = {
      file: this.config.file,
      text: this.config.text,
      env: { ...this.opts.env },
      index,
      ...(this.opts.split && this.opts.count > 1 ? { part: { index, count: this.opts.count } } : {}),
      ...(this.opts.leaseMs !== undefined ? { leaseMs: this.opts.leaseMs } : {}),
      ...(this.opts.pollMs !== undefined ? { pollMs: this.opts.pollMs } : {}),
    };
    const thread = new Thread(BOOT, { eval: true, workerData: { ...data, module: this.opts.module } });
    let settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
    const ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    const r: Running = { thread, ready };
    let failed = false;
    const fail = (reason: string) => {
      if (failed) return;
      failed = true;
      if (settle) {
        settle.reject(new Error(reason));
        settle = undefined;
        return;
      }
      if (this.stopping || r.stopped) return;
      this.opts.log.error({ thread: index, reason }, 'a delivery thread stopped; starting it again');
      this.running[index] = undefined;
      const t = setTimeout(() => {
        this.restarts.delete(t);
        if (this.stopping) return;
        const again = this.spawn(index);
        this.running[index] = again;
        again.ready.catch((err: unknown) => this.opts.log.error({ thread: index, err: errorMessage(err) }, 'a delivery thread could not start again'));
      }, RESTART_MS);
      this.restarts.add(t);
    };
    thread.on('message', (m: FromThread) => {
      switch (m.type) {
        case 'ready':
          r.owner = m.owner;
          settle?.resolve();
          settle = undefined;
          // A reload that came while it started: it has the text it was started with.
          if (this.config.text !== data.text) thread.postMessage({ config: this.config.text, hash: this.config.hash } satisfies ToThread);
          return;
        case 'failed':
          return fail(m.reason);
        case 'metrics':
          for (const item of m.items) {
            if (item[0] === 'delivery') this.opts.metrics.delivery(item[1], item[2]);
            else this.opts.metrics.attempt(item[1], item[2], item[3]);
          }
          return;
        case 'stopped':
          r.stopped?.();
          return;
      }
    });
    thread.on('error', (err) => fail(`the delivery thread failed: ${errorMessage(err)}`));
    thread.on('exit', (code) => {
      if (r.stopped) return r.stopped();
      fail(`the delivery thread exited (code ${code})`);
      // Gone, with nothing in flight any more: what it held is due again now.
      if (r.owner && this.opts.releaseLeasesOf && !this.stopping)
        this.opts
          .releaseLeasesOf(r.owner)
          .then((n) => n > 0 && this.opts.log.warn({ thread: index, deliveries: n }, 'released the deliveries the stopped thread held; they are due again'))
          .catch((err: unknown) => this.opts.log.warn({ thread: index, err: errorMessage(err) }, 'could not release the stopped thread’s deliveries; they are taken over when their leases run out'));
    });
    return r;
  }
}
