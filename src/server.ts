// Wires the parts together: config, store, the ingress app; starts and stops
// the HTTP server. The live config is one reference, swapped whole on reload.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono, type Context, type Next } from 'hono';
import { adminApp } from './admin/app.js';
import { metricsHosts } from './admin/auth.js';
import type { Config } from './config/types.js';
import { createRedactor } from './observe/redact.js';
import { Sender, targetsOf } from './delivery/sender.js';
import { DeliveryThreads, threadModule } from './delivery/threads.js';
import { Worker } from './delivery/worker.js';
import { deliveriesElsewhere } from './event/fresh.js';
import { ingressApp } from './ingress/app.js';
import { RejectionLog } from './ingress/rejections.js';
import { errorMessage } from './lib/errors.js';
import { hasTraversal } from './lib/request-target.js';
import type { Logger } from './observe/log.js';
import { Metrics } from './observe/metrics.js';
import { startTracing, stopTracing } from './observe/trace.js';
import { Reloader, type ReloadResult } from './config/reload.js';
import { DEFAULT_WATCH_POLL_MS, watchConfig, watchPollMs, WATCH_POLL_ENV, type ConfigWatcher } from './config/watch.js';
import { openStore } from './store/open.js';
import { startPruning } from './store/retention.js';
import type { Store } from './store/types.js';

export interface ServerOptions {
  config: Config;
  log: Logger;
  /** Overrides config.server.port (0 = any free port). */
  port?: number;
  host?: string;
  /** An already-open store (tests); otherwise the config's store is opened. */
  store?: Store;
  /** Worker settings (tests shorten the lease); false runs no worker. */
  worker?: { leaseMs?: number; pollMs?: number } | false;
  /** How often settled events past their retention are pruned (default every 10 minutes). */
  pruneEveryMs?: number;
  /** The config file, for reloads (SIGHUP, the admin API); `watch` also reloads on every change to it. */
  configFile?: string;
  watch?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Slow-client limits (tests shorten them); the defaults are HTTP_LIMITS. */
  httpLimits?: Partial<HttpLimits>;
}

export interface HttpLimits {
  /** A client gets this long to send its request headers… */
  headersMs: number;
  /** …and this long for the whole request, body included. */
  requestMs: number;
  /**
   * How often Node looks for connections past those limits. It checks only
   * then, so a limit really is up to this much longer (Node's default, 30 s,
   * made 15 s / 60 s into 30 s / 90 s).
   */
  checkEveryMs: number;
}

export const HTTP_LIMITS: Readonly<HttpLimits> = { headersMs: 15_000, requestMs: 60_000, checkEveryMs: 1_000 };

export interface RunningServer {
  readonly port: number;
  readonly url: string;
  readonly store: Store;
  readonly rejections: RejectionLog;
  /** The delivery loop, when deliveries run on the main thread (server.workers: 1, or threads cannot be used). */
  readonly worker?: Worker;
  /** Delivery threads running (0: deliveries run on the main thread, or not at all). */
  readonly deliveryThreads: number;
  /** The Node HTTP server (tests read its settings). */
  readonly http: Server;
  config(): Config;
  setConfig(config: Config): void;
  /** Reloads the config file now (undefined when the server was not started from a file). */
  reload(trigger: string): Promise<ReloadResult | undefined>;
  /** Stops accepting, lets requests and deliveries in flight finish, closes the store. */
  close(): Promise<void>;
}

const DRAIN_TIMEOUT_MS = 10_000;

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  let live = opts.config;
  const store = opts.store ?? (await openStore(live.store));
  // OpenTelemetry is imported here only when an OTLP endpoint is set; otherwise this does nothing. It never throws.
  const tracing = await startTracing(opts.env ?? process.env, opts.log);
  const rejections = new RejectionLog();
  const metrics = new Metrics(() => store.queueStats(Date.now()));
  metrics.live(live.hash);
  const sender = new Sender();
  const env = opts.env ?? process.env;
  const workerOpts = opts.worker === false ? undefined : (opts.worker ?? {});
  // Deliveries on threads of their own (server.workers > 1), when the store is one other connections can open.
  const threadsWanted = workerOpts !== undefined && live.server.workers > 1 ? threadsFor(live, opts.store !== undefined) : undefined;
  let threads: DeliveryThreads | undefined;
  if (threadsWanted && 'module' in threadsWanted) {
    threads = new DeliveryThreads({
      count: live.server.workers - 1,
      config: live,
      env,
      log: opts.log,
      metrics,
      split: store.kind === 'sqlite',
      module: threadsWanted.module,
      releaseLeasesOf: (owner) => store.releaseLeasesOf(owner),
      leaseMs: workerOpts?.leaseMs ?? live.server.leaseMs,
      ...(workerOpts?.pollMs !== undefined ? { pollMs: workerOpts.pollMs } : {}),
    });
  } else if (threadsWanted) opts.log.warn({ workers: live.server.workers, reason: threadsWanted.reason }, 'server.workers: delivering on the main thread');
  const loopWorker = () => new Worker({ store, sender, config: () => live, log: opts.log, metrics, leaseMs: live.server.leaseMs, ...workerOpts });
  let worker = workerOpts !== undefined && !threads ? loopWorker() : undefined;
  const wake = () => (threads ? threads.wake() : worker?.wake());
  const reloader = opts.configFile
    ? new Reloader(
        opts.configFile,
        () => live,
        (c) => {
          live = c;
          // Broker connections of targets the new config removed or changed are closed.
          sender.retain(targetsOf(c));
          threads?.setConfig(c);
        },
        opts.log,
        env,
        metrics,
      )
    : undefined;
  const app = new Hono({ strict: false });
  app.use('*', refuseTraversal);
  app.get(
    '/metrics',
    metricsHosts(() => live),
    async (c) => c.body(await metrics.text(), 200, { 'Content-Type': metrics.contentType }),
  );
  app.route('/admin', adminApp({ config: () => live, rejections, store, onQueued: wake, ...(reloader ? { reloader } : {}) }));
  app.route('/', ingressApp({ config: () => live, store, log: opts.log, rejections, onAccepted: wake, metrics }));
  if (!live.admin.token) opts.log.info('admin API: no admin.token set, so /admin answers requests from this machine only');
  const host = opts.host ?? '0.0.0.0';

  const limits = { ...HTTP_LIMITS, ...opts.httpLimits };
  let server: Server;
  try {
    // A SQLite file has one server (the store's lock file makes sure): claims left by a crashed run are stale now.
    if ((worker || threads) && store.kind === 'sqlite') await store.releaseStaleLeases();
    if (threads) {
      try {
        await threads.start();
        deliveriesElsewhere(true);
      } catch (err) {
        // Threads that cannot start (no memory, a module that will not load): one loop still delivers everything.
        opts.log.warn({ workers: live.server.workers, reason: live.redact.text(errorMessage(err)) }, 'server.workers: the delivery threads could not start; delivering on the main thread');
        threads = undefined;
        worker = loopWorker();
      }
    }
    server = await new Promise<Server>((resolve, reject) => {
      const s = serve(
        {
          fetch: app.fetch,
          port: opts.port ?? live.server.port,
          hostname: host,
          // Slow-loris protection; the checking interval can only be set here, when the server is created.
          serverOptions: { headersTimeout: limits.headersMs, requestTimeout: limits.requestMs, connectionsCheckingInterval: limits.checkEveryMs },
        },
        () => resolve(s as Server),
      ) as Server;
      s.once('error', (err) => {
        s.close();
        reject(err);
      });
    });
  } catch (err) {
    // Cannot start (port in use, no permission, a failing store): release what was opened, or its threads keep the process alive.
    await sender.close().catch(() => undefined);
    if (threads) {
      await threads.stop(0).catch(() => undefined);
      deliveriesElsewhere(false);
    }
    if (!opts.store) await store.close().catch(() => undefined);
    if (tracing) await stopTracing();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  worker?.start();
  // Not awaited: a broker that is down must not hold up the server. (Delivery threads warm their own.)
  if (worker) {
    void sender.warm(targetsOf(live).values(), (target, reason) =>
      opts.log.warn({ target, reason: createRedactor(live.secrets).text(reason) }, 'target unreachable at start-up: its deliveries will wait and retry'),
    );
  }
  const pruner = startPruning(store, { retentionMs: () => live.retentionMs, log: opts.log, everyMs: opts.pruneEveryMs ?? 600_000 });
  let watcher: ConfigWatcher | undefined;
  if (reloader && opts.watch && opts.configFile) {
    const poll = watchPollMs(env);
    if (typeof poll !== 'number') opts.log.warn({ setting: WATCH_POLL_ENV }, poll.error);
    watcher = watchConfig(opts.configFile, live.hash, (text) => void reloader.reload('file changed', text), undefined, env, typeof poll === 'number' ? poll : DEFAULT_WATCH_POLL_MS);
  }

  let closing: Promise<void> | undefined;
  let draining = false;
  // While draining, answers tell clients not to reuse the connection.
  server.on('request', (_req, res) => {
    if (draining) res.setHeader('Connection', 'close');
  });
  return {
    port,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    store,
    rejections,
    ...(worker ? { worker } : {}),
    deliveryThreads: threads?.count ?? 0,
    http: server,
    config: () => live,
    setConfig: (c) => {
      live = c;
      sender.retain(targetsOf(c));
      threads?.setConfig(c);
    },
    reload: async (trigger) => reloader?.reload(trigger),
    close: () =>
      (closing ??= (async () => {
        draining = true;
        watcher?.close();
        const pruned = pruner.stop();
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS);
          // Keep-alive connections go idle as their last response is sent: close them then, not at their timeout.
          const sweep = setInterval(() => server.closeIdleConnections(), 50);
          server.close(() => {
            clearTimeout(force);
            clearInterval(sweep);
            resolve();
          });
          server.closeIdleConnections();
        });
        // Then the deliveries in flight; any left unfinished are picked up after a restart.
        await worker?.stop();
        if (threads) {
          await threads.stop();
          deliveriesElsewhere(false);
        }
        await sender.close();
        await pruned;
        await store.close();
        // Last: the spans of the deliveries that just finished are flushed.
        if (tracing) await stopTracing();
      })()),
  };
}

/**
 * Before routing: the URL Hono routes on has dot segments resolved already
 * (`/hooks/%2e%2e/admin` is `/admin` there), so the target is judged as sent.
 */
async function refuseTraversal(c: Context, next: Next) {
  const target = (c.env as { incoming?: { url?: string } } | undefined)?.incoming?.url ?? c.req.url;
  if (hasTraversal(target)) return c.json({ error: 'not found: paths with "." or ".." segments, encoded slashes or backslashes are refused' }, 404);
  return next();
}

/**
 * Whether deliveries can run on threads with this store: the compiled thread
 * module, or why not (an in-memory SQLite store, or a store object handed in,
 * cannot be opened again by another thread).
 */
function threadsFor(c: Config, storeGiven: boolean): { module: string } | { reason: string } | undefined {
  // Tests hand in a store object: one loop, as asked, with nothing to warn about.
  if (storeGiven) return undefined;
  if (/^sqlite::memory:/.test(c.store)) return { reason: 'an in-memory SQLite store cannot be shared with other threads' };
  const module = threadModule();
  return module ? { module } : { reason: 'the delivery thread module is not built (npm run build)' };
}
