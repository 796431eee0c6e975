// Checks a config file in a worker thread, so a hostile or huge file costs the
// server's event loop nothing: the thread reads it (size-capped), parses it,
// interpolates, validates against the schema and compiles it as a trial, and
// answers "ok" (with the exact text it checked) or the listed errors. A
// compiled Config holds JSONata functions and cannot cross threads, so the
// caller compiles the text again on its own thread — a file now known to be
// valid and within the size limit.
//
// The thread gets its own heap limit and a deadline: a file that would exhaust
// either ends the thread, not the server, and is reported as such.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { formatIssue, omittedLine, type ConfigIssue } from './issues.js';
import { errorMessage } from '../lib/errors.js';

export type CheckOutcome =
  /** Valid: `text` is what was checked (compile exactly this, not a later read). */
  | { kind: 'ok'; text: string; ms: number }
  | { kind: 'invalid'; issues: ConfigIssue[]; omittedErrors: number; ms: number }
  /** The check itself failed: the thread ran out of memory or time, or crashed. The file is not safe to load. */
  | { kind: 'failed'; reason: string; ms: number }
  /** No thread to check in (not built, or threads cannot start here): the caller may check on its own thread. */
  | { kind: 'unavailable'; reason: string; ms: number };

export interface CheckOptions {
  /** The text already read by the watcher; otherwise the thread reads the file. */
  text?: string;
  env: NodeJS.ProcessEnv;
  /** Only these `${file:…}` paths may be read (the admin preview); undefined: any. */
  files?: readonly string[];
  /** Only these `${NAME}` may be read (the admin preview); undefined: any. */
  names?: readonly string[];
  timeoutMs?: number;
  /** Heap for the thread: a 1 MB file with ~13,000 routes peaks near 300 MB while checked. */
  maxHeapMb?: number;
}

export const CHECK_TIMEOUT_MS = 30_000;
const MAX_HEAP_MB = 768;

/** How long an idle checker thread is kept: edits come in bursts, and a warm thread checks a small file in milliseconds. */
const IDLE_MS = 60_000;

// Plain JavaScript evaluated in the thread: the test runner cannot start a
// worker from a .ts file, and this works the same from dist/ and from src/.
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const loading = import(workerData.loader);
parentPort.on('message', async ({ id, file, text, env, files, names }) => {
  let mod;
  try {
    mod = await loading;
  } catch (err) {
    return parentPort.postMessage({ id, kind: 'unavailable', reason: 'cannot load the checker: ' + (err && err.message) });
  }
  if (typeof mod.checkConfig !== 'function') {
    return parentPort.postMessage({ id, kind: 'unavailable', reason: workerData.loader + ' has no checkConfig (an old build? run npm run build)' });
  }
  const r = mod.checkConfig(file, { env, ...(text === undefined ? {} : { text }), ...(files ? { files } : {}), ...(names ? { names } : {}) });
  parentPort.postMessage(r.ok ? { id, kind: 'ok', text: r.text } : { id, kind: 'invalid', issues: r.issues, omittedErrors: r.omittedErrors });
});
`;

/**
 * The compiled loader module for the thread: the sibling load.js when running
 * from dist/, or dist/'s copy when running from src/ under the test runner.
 * Undefined when there is none (not built): the caller checks on its own thread.
 */
export function loaderModule(): string | undefined {
  const here = fileURLToPath(import.meta.url);
  const candidate = here.endsWith('.js') ? here.replace(/check-thread\.js$/, 'load.js') : here.replace(/([\\/])src([\\/]config[\\/])check-thread\.ts$/, '$1dist$2load.js');
  return candidate.endsWith('.js') && existsSync(candidate) ? pathToFileURL(candidate).href : undefined;
}

type Answer = { id: number; kind: string; text?: string; issues?: ConfigIssue[]; omittedErrors?: number; reason?: string };

interface Thread {
  worker: Worker;
  waiting: Map<number, (a: Answer | { id: number; kind: 'failed'; reason: string }) => void>;
  idle?: NodeJS.Timeout;
}

let thread: Thread | undefined;
let nextId = 0;

function startThread(loader: string, maxHeapMb: number): Thread {
  const worker = new Worker(THREAD, { eval: true, workerData: { loader }, resourceLimits: { maxOldGenerationSizeMb: maxHeapMb } });
  const t: Thread = { worker, waiting: new Map() };
  const fail = (reason: string) => {
    if (thread === t) thread = undefined;
    for (const [id, answer] of t.waiting) answer({ id, kind: 'failed', reason });
    t.waiting.clear();
  };
  worker.on('message', (a: Answer) => {
    const answer = t.waiting.get(a.id);
    t.waiting.delete(a.id);
    answer?.(a);
  });
  worker.on('error', (err: Error & { code?: string }) =>
    fail(err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `checking the file ran out of memory (over ${maxHeapMb} MB)` : `the checker failed: ${err.message}`),
  );
  worker.on('exit', (code) => fail(`the checker stopped (exit code ${code})`));
  // Never what keeps the process alive. After the listeners: adding a 'message' listener refs the worker again.
  worker.unref();
  return t;
}

/** Stops the checker thread, if one is running (tests; the thread is unref'd and never holds the process open). */
export async function stopCheckThread(): Promise<void> {
  const t = thread;
  thread = undefined;
  if (t) await t.worker.terminate();
}

/** Checks `file` (or `options.text`) in the checker thread; never rejects. */
export function checkInThread(file: string, options: CheckOptions): Promise<CheckOutcome> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const loader = loaderModule();
  if (!loader) return Promise.resolve({ kind: 'unavailable', reason: 'the compiled checker (dist/config/load.js) is missing: run npm run build', ms: 0 });
  let t: Thread;
  try {
    t = thread ??= startThread(loader, options.maxHeapMb ?? MAX_HEAP_MB);
  } catch (err) {
    return Promise.resolve({ kind: 'unavailable', reason: `cannot start a thread: ${errorMessage(err)}`, ms: ms() });
  }
  clearTimeout(t.idle);
  const id = nextId++;
  const timeoutMs = options.timeoutMs ?? CHECK_TIMEOUT_MS;
  return new Promise<CheckOutcome>((resolve) => {
    const timer = setTimeout(() => {
      t.waiting.delete(id);
      // A check that will not finish holds the thread: it goes, and the next check starts a fresh one.
      if (thread === t) thread = undefined;
      void t.worker.terminate();
      resolve({ kind: 'failed', reason: `checking took longer than ${Math.round(timeoutMs / 1000)} s`, ms: ms() });
    }, timeoutMs);
    t.waiting.set(id, (a) => {
      clearTimeout(timer);
      if (thread === t && t.waiting.size === 0) {
        t.idle = setTimeout(() => void (thread === t && t.waiting.size === 0 && stopCheckThread()), IDLE_MS);
        t.idle.unref();
      }
      if (a.kind === 'ok' && typeof a.text === 'string') resolve({ kind: 'ok', text: a.text, ms: ms() });
      else if (a.kind === 'invalid') resolve({ kind: 'invalid', issues: a.issues ?? [], omittedErrors: a.omittedErrors ?? 0, ms: ms() });
      else if (a.kind === 'unavailable') resolve({ kind: 'unavailable', reason: a.reason ?? 'the checker did not load', ms: ms() });
      else resolve({ kind: 'failed', reason: a.reason ?? 'the checker gave no answer', ms: ms() });
    });
    // Its own copy of the environment: nothing the check does can touch the server's.
    t.worker.postMessage({ id, file, text: options.text, env: { ...options.env }, ...(options.files ? { files: [...options.files] } : {}), ...(options.names ? { names: [...options.names] } : {}) });
  });
}

/** `file:line:col: message` lines for an invalid outcome, the omitted count last. */
export function outcomeErrors(file: string, issues: readonly ConfigIssue[], omittedErrors: number): string[] {
  const lines = issues.filter((i) => i.severity === 'error').map(formatIssue);
  const more = omittedLine(file, omittedErrors);
  return more ? [...lines, more] : lines;
}
