// Hot reload: a new config is loaded, validated and compiled off to the side;
// only a complete, valid one is swapped in, in one assignment. A broken file
// is reported (every error, positioned) and the running config keeps serving.
import { loadConfig } from './config/load.js';
import { formatIssue } from './config/issues.js';
import type { Config } from './config/types.js';
import type { Logger } from './observe/log.js';
import type { Metrics } from './observe/metrics.js';

export interface ReloadResult {
  readonly ok: boolean;
  readonly at: string;
  /** What asked for it: the file watcher, SIGHUP, the admin API. */
  readonly trigger: string;
  /** The live version (content hash) after this reload. */
  readonly version: string;
  /** `file:line:col: message` lines when it failed. */
  readonly errors: readonly string[];
  readonly unchanged?: boolean;
  /** Settings that changed but only apply after a restart. */
  readonly needsRestart: readonly string[];
}

export interface ReloadState {
  readonly loadedAt: string;
  readonly reloads: { readonly ok: number; readonly failed: number };
  readonly last?: ReloadResult;
}

export class Reloader {
  private loadedAt = new Date().toISOString();
  private counts = { ok: 0, failed: 0 };
  private last: ReloadResult | undefined;
  /** The settings fixed at start: a later change to them needs a restart. */
  private readonly boot: { port: number; store: string };

  constructor(
    private readonly file: string,
    private readonly get: () => Config,
    private readonly set: (c: Config) => void,
    private readonly log: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly metrics?: Metrics,
  ) {
    const c = get();
    this.boot = { port: c.server.port, store: c.store };
  }

  reload(trigger: string, text?: string): ReloadResult {
    const at = new Date().toISOString();
    const current = this.get();
    const result = loadConfig(this.file, { env: this.env, ...(text !== undefined ? { text } : {}) });
    if (!result.config) {
      const errors = result.issues.filter((i) => i.severity === 'error').map(formatIssue);
      this.counts.failed++;
      this.metrics?.reload(false, current.hash);
      this.last = { ok: false, at, trigger, version: current.hash, errors, needsRestart: [] };
      this.log.error({ trigger, errors, version: current.hash.slice(0, 12), reloads: this.counts }, `config reload failed: still serving version ${current.hash.slice(0, 12)}`);
      return this.last;
    }
    const next = result.config;
    if (next.hash === current.hash) {
      this.last = { ok: true, at, trigger, version: current.hash, errors: [], unchanged: true, needsRestart: [] };
      this.log.info({ trigger, version: current.hash.slice(0, 12) }, 'config unchanged: nothing to reload');
      return this.last;
    }
    const needsRestart: string[] = [];
    if (next.server.port !== this.boot.port) needsRestart.push(`server.port (${this.boot.port} → ${next.server.port})`);
    if (next.store !== this.boot.store) needsRestart.push('store');
    this.set(next);
    this.loadedAt = at;
    this.counts.ok++;
    this.metrics?.reload(true, next.hash);
    this.last = { ok: true, at, trigger, version: next.hash, errors: [], needsRestart };
    for (const w of next.warnings) this.log.warn({ warning: formatIssue(w) }, 'config warning');
    this.log.info(
      {
        trigger,
        version: next.hash.slice(0, 12),
        previous: current.hash.slice(0, 12),
        sources: next.sources.size,
        routes: next.routes.length,
        reloads: this.counts,
        ...(needsRestart.length ? { needsRestart } : {}),
      },
      needsRestart.length ? `config reloaded; restart to apply: ${needsRestart.join(', ')}` : 'config reloaded',
    );
    return this.last;
  }

  state(): ReloadState {
    return { loadedAt: this.loadedAt, reloads: { ...this.counts }, ...(this.last ? { last: this.last } : {}) };
  }
}
