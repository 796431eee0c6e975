// Hot reload: a new config is loaded, validated and compiled off to the side;
// only a complete, valid one is swapped in, in one assignment. A broken file
// is reported (its errors, positioned, the first 100 and a count of the rest)
// and the running config keeps serving.
//
// The check runs in a worker thread (config/check-thread.ts): reading,
// parsing, interpolating, validating and a trial compile of any file — however
// large or broken — happen off the event loop. Only a file that passed, and is
// therefore within the size limit, is compiled again here, because a compiled
// Config (JSONata functions) cannot cross threads. Reloads run one at a time.
import type { Logger } from '../observe/log.js';
import { leaseFits, longestTimeout } from './compile.js';
import { checkInThread, outcomeErrors, type CheckOutcome } from './check-thread.js';
import { loadConfig, loadConfigText, type LoadResult } from './load.js';
import { formatIssue } from './issues.js';
import { contentHash } from './watch.js';
import type { Config } from './types.js';
import { errorMessage } from '../lib/errors.js';

/** Where reloads are counted (observe/metrics.ts's Metrics). */
export interface ReloadCounter {
  reload(ok: boolean, version: string): void;
}

export interface ReloadResult {
  readonly ok: boolean;
  readonly at: string;
  /** What asked for it: the file watcher, SIGHUP, the admin API. */
  readonly trigger: string;
  /** The live version (content hash) after this reload. */
  readonly version: string;
  /** `file:line:col: message` lines when it failed (the first 100, then a line counting the rest). */
  readonly errors: readonly string[];
  /** How many errors were found, listed or not. */
  readonly errorCount?: number;
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
  private readonly boot: { port: number; store: string; leaseMs: number; workers: number };

  constructor(
    private readonly file: string,
    private readonly get: () => Config,
    private readonly set: (c: Config) => void,
    private readonly log: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly metrics?: ReloadCounter,
  ) {
    const c = get();
    this.boot = { port: c.server.port, store: c.store, leaseMs: c.server.leaseMs, workers: c.server.workers };
  }

  private queue: Promise<unknown> = Promise.resolve();
  private warnedNoThread = false;

  /** Reloads from the file (or from `text`, already read by the watcher); never rejects. */
  reload(trigger: string, text?: string): Promise<ReloadResult> {
    const run = this.queue.then(() =>
      this.reloadNow(trigger, text).catch((err: unknown) => {
        // A bug in loading must not take the server down through an unhandled rejection: report it as a failed reload.
        const current = this.get();
        return this.failed(new Date().toISOString(), trigger, current.hash, [`${this.file}: not reloaded: ${errorMessage(err)}`], 1, { kind: 'failed', reason: String(err), ms: 0 });
      }),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(trigger: string, text?: string): Promise<ReloadResult> {
    const at = new Date().toISOString();
    const checked = await checkInThread(this.file, { env: this.env, ...(text !== undefined ? { text } : {}) });
    const current = this.get();
    let result: LoadResult;
    let compileMs: number | undefined;
    if (checked.kind === 'invalid') {
      return this.failed(
        at,
        trigger,
        current.hash,
        outcomeErrors(this.file, checked.issues, checked.omittedErrors),
        checked.issues.filter((i) => i.severity === 'error').length + checked.omittedErrors,
        checked,
      );
    } else if (checked.kind === 'failed') {
      // Not retried here: what exhausted the thread would stall the server.
      return this.failed(at, trigger, current.hash, [`${this.file}: not reloaded: ${checked.reason}`], 1, checked);
    } else if (checked.kind === 'ok') {
      if (contentHash(checked.text) === current.hash) return this.unchanged(at, trigger, current.hash);
      const started = performance.now();
      result = loadConfigText(this.file, checked.text, this.env);
      compileMs = Math.round(performance.now() - started);
    } else {
      if (!this.warnedNoThread) {
        this.warnedNoThread = true;
        this.log.warn(
          { reason: checked.reason },
          'config reload: cannot check the file in a worker thread, checking it on the main thread (a large or broken file can delay requests while it is checked)',
        );
      }
      result = loadConfig(this.file, { env: this.env, ...(text !== undefined ? { text } : {}) });
    }
    if (!result.config) {
      const errors = outcomeErrors(this.file, result.issues, result.omittedErrors ?? 0);
      return this.failed(at, trigger, current.hash, errors, result.issues.filter((i) => i.severity === 'error').length + (result.omittedErrors ?? 0), checked);
    }
    const next = result.config;
    const timing = { checkMs: checked.ms, ...(compileMs !== undefined ? { compileMs } : {}) };
    if (next.hash === current.hash) return this.unchanged(at, trigger, current.hash);
    const verdict = this.reloadVerdict(next);
    if (verdict.refusal) return this.failed(at, trigger, current.hash, [`${this.file}: not reloaded: ${verdict.refusal}`], 1, checked);
    const { needsRestart } = verdict;
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
        ...timing,
        ...(needsRestart.length ? { needsRestart } : {}),
      },
      needsRestart.length ? `config reloaded; restart to apply: ${needsRestart.join(', ')}` : 'config reloaded',
    );
    return this.last;
  }

  /**
   * Whether `next` could be swapped in on this running server: a refusal (its
   * timeouts do not fit the running lease) or the settings that would only
   * apply after a restart. The admin preview asks the same question.
   */
  reloadVerdict(next: Config): { refusal?: string; needsRestart: string[] } {
    // The running worker keeps the lease it started with: the new timeouts must fit it, or calls would never be made.
    const longest = longestTimeout(next);
    if (!leaseFits(this.boot.leaseMs, longest)) {
      return {
        refusal: `the longest target timeout (${longest} ms) does not fit the running server's lease of ${this.boot.leaseMs} ms (server.lease changes apply after a restart)`,
        needsRestart: [],
      };
    }
    const needsRestart: string[] = [];
    if (next.server.leaseMs !== this.boot.leaseMs) needsRestart.push(`server.lease (${this.boot.leaseMs} ms → ${next.server.leaseMs} ms)`);
    if (next.server.port !== this.boot.port) needsRestart.push(`server.port (${this.boot.port} → ${next.server.port})`);
    if (next.store !== this.boot.store) needsRestart.push('store');
    if (next.server.workers !== this.boot.workers) needsRestart.push(`server.workers (${this.boot.workers} → ${next.server.workers})`);
    return { needsRestart };
  }

  /** The environment `${NAME}` is read from. */
  environment(): NodeJS.ProcessEnv {
    return this.env;
  }

  private unchanged(at: string, trigger: string, version: string): ReloadResult {
    this.last = { ok: true, at, trigger, version, errors: [], unchanged: true, needsRestart: [] };
    this.log.info({ trigger, version: version.slice(0, 12) }, 'config unchanged: nothing to reload');
    return this.last;
  }

  private failed(at: string, trigger: string, version: string, errors: string[], errorCount: number, checked: CheckOutcome): ReloadResult {
    this.counts.failed++;
    this.metrics?.reload(false, version);
    this.last = { ok: false, at, trigger, version, errors, errorCount, needsRestart: [] };
    this.log.error({ trigger, errors, errorCount, version: version.slice(0, 12), reloads: this.counts, checkMs: checked.ms }, `config reload failed: still serving version ${version.slice(0, 12)}`);
    return this.last;
  }

  state(): ReloadState {
    return { loadedAt: this.loadedAt, reloads: { ...this.counts }, ...(this.last ? { last: this.last } : {}) };
  }
}
