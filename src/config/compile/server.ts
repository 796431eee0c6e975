// The top-level settings: server, store, admin, defaults, retention.
import { availableParallelism } from 'node:os';
import { urlPassword } from '../../observe/redact.js';
import type { Config, RetryPolicy } from '../types.js';
import { parseDuration, parseSize } from '../units.js';
import type { PathSegment } from '../yamldoc.js';
import type { CompileContext } from './context.js';
import { DEFAULT_RETRY, isObject, label, retryPolicy, type RawConfig } from './raw.js';

const DEFAULT_STORE = 'sqlite:./data/switchboard.db';
const WEEK_MS = 604_800_000;

export interface Settings {
  readonly server: Config['server'];
  readonly store: string;
  readonly retentionMs: number;
  readonly admin: Config['admin'];
  readonly defaults: Config['defaults'];
  /** Whether server.lease was written (where its error goes). */
  readonly leaseWritten: boolean;
}

export function compileSettings(ctx: CompileContext, raw: RawConfig): Settings {
  const { env, bad, warn, credential } = ctx;
  const rawServer = isObject(raw.server) && !bad(['server']) ? raw.server : {};
  // PORT=0 asks the OS for any free port (tests use it).
  const envPort = env.PORT !== undefined && /^\d{1,5}$/.test(env.PORT) && Number(env.PORT) <= 65535 ? Number(env.PORT) : undefined;
  const server = {
    port: envPort ?? rawServer.port ?? 8080,
    basePath: (rawServer.basePath ?? '/hooks').replace(/\/+$/, ''),
    maxBodySize: parseSize(rawServer.maxBodySize ?? '1mb') ?? 1024 * 1024,
    ...(rawServer.publicUrl ? { publicUrl: rawServer.publicUrl.replace(/\/+$/, '') } : {}),
    leaseMs: parseDuration(rawServer.lease ?? '60s') ?? 60_000,
    maxFanout: rawServer.maxFanout ?? 1000,
    maxSplit: rawServer.maxSplit ?? 1000,
    workers: workersSetting(ctx, env, rawServer.workers),
  };
  const store = env.SWITCHBOARD_STORE || (typeof raw.store === 'string' && !bad(['store']) ? raw.store : DEFAULT_STORE);
  const adminToken = isObject(raw.admin) && typeof raw.admin.token === 'string' ? raw.admin.token : env.SWITCHBOARD_ADMIN_TOKEN || undefined;
  if (isObject(raw.admin) && typeof raw.admin.token === 'string') credential(['admin', 'token'], adminToken);
  else credential(['admin'], adminToken, 'SWITCHBOARD_ADMIN_TOKEN');
  // A password in the store URL (postgres://user:pw@host) is masked anywhere it shows up,
  // also the one written in the file when SWITCHBOARD_STORE overrides it.
  for (const url of [store, raw.store]) {
    const password = typeof url === 'string' ? urlPassword(url) : undefined;
    if (password) ctx.secrets.add(password);
  }
  if (!adminToken && isObject(raw.admin) && Array.isArray(raw.admin.hosts) && raw.admin.hosts.length > 0)
    warn(['admin', 'hosts'], 'admin.hosts: has no effect until admin.token is set (without a token, /admin answers loopback host names only)');
  const rawDefaults = isObject(raw.defaults) && !bad(['defaults']) ? raw.defaults : {};
  const defaults = {
    timeoutMs: ctx.timeout(['defaults', 'timeout'], rawDefaults.timeout, 10_000),
    retry: retryPolicy(rawDefaults.retry, DEFAULT_RETRY),
  };
  checkRetry(ctx, ['defaults', 'retry'], defaults.retry);
  return {
    server,
    store,
    retentionMs: typeof raw.retention === 'string' && !bad(['retention']) ? (parseDuration(raw.retention) ?? WEEK_MS) : WEEK_MS,
    admin: { ...(adminToken ? { token: adminToken } : {}), ...(isObject(raw.admin) && Array.isArray(raw.admin.hosts) && !bad(['admin', 'hosts']) ? { hosts: raw.admin.hosts } : {}) },
    defaults,
    leaseWritten: Boolean(rawServer.lease),
  };
}

export function checkRetry(ctx: CompileContext, at: PathSegment[], r: RetryPolicy): void {
  if (r.initialDelayMs > r.maxDelayMs) ctx.error(at, `${label(at)}: initialDelay is longer than maxDelay`);
}

export const WORKERS_ENV = 'SWITCHBOARD_WORKERS';

/** server.workers: SWITCHBOARD_WORKERS, else the file's, else the CPUs this process may use (at most 64). */
function workersSetting(ctx: CompileContext, env: NodeJS.ProcessEnv, written: number | undefined): number {
  const raw = env[WORKERS_ENV];
  if (raw !== undefined && raw !== '') {
    if (/^\d{1,2}$/.test(raw.trim()) && Number(raw) >= 1 && Number(raw) <= 64) return Number(raw);
    ctx.error(['server', 'workers'], `${WORKERS_ENV}=${JSON.stringify(raw)} is not a number of threads from 1 to 64`);
    return 1;
  }
  if (typeof written === 'number' && Number.isInteger(written) && written >= 1 && written <= 64) return written;
  return Math.max(1, Math.min(64, availableParallelism()));
}
