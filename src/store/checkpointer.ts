// WAL checkpoints off the event loop. SQLite normally copies the WAL back into
// the database file inside whichever commit crosses the threshold: under load
// that was two thirds of the store's time on the main thread, in 10-20 ms
// stalls (the p99). A worker thread with its own connection runs PASSIVE
// checkpoints, which never block writers, so the pages are already copied when
// the main connection's own (now rarer) automatic checkpoint comes round and
// restarts the WAL. If the thread cannot run, the main connection checkpoints
// as it always did: nothing depends on the thread but speed.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** WAL pages between the main connection's own checkpoints while the thread runs (SQLite's default is 1000). */
export const BACKGROUND_AUTOCHECKPOINT = 4000;
export const INLINE_AUTOCHECKPOINT = 1000;

// Plain JavaScript, evaluated in the thread: it works the same from dist/ and
// under the test runner, which cannot start a worker from a .ts file.
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 0');
let wait = 2;
let timer;
const run = () => {
  let copied = false;
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    copied = r.busy === 0 && r.checkpointed > 0 && r.checkpointed !== run.last;
    run.last = r.checkpointed;
  } catch {
    // busy, or the disk is full: try again later; the main connection still checkpoints on its own
  }
  // Busy: look again in 50 ms (a page written many times in that while is copied once, not once per commit:
  // every 2 ms cost ~13 % more CPU per event in the open-loop bench and slowed delivery in a burst).
  // Idle: back off to a few looks a second.
  wait = copied ? 50 : Math.min(250, wait * 2);
  timer = setTimeout(run, wait);
};
parentPort.on('message', () => {
  clearTimeout(timer);
  db.close();
  process.exit(0);
});
parentPort.postMessage('ready');
run();
`;

export class Checkpointer {
  private constructor(private readonly worker: Worker) {}

  /**
   * Starts the thread for the database at `path`; `onState` hears whether it runs
   * (true once ready, false if it stops), so the caller can set its own threshold.
   */
  static start(path: string, onState: (running: boolean) => void): Checkpointer {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    // It allocates almost nothing: a small heap keeps the thread's memory small too.
    const worker = new Worker(THREAD, { eval: true, workerData: { driver, path }, resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 } });
    worker.unref();
    worker.on('message', (m) => m === 'ready' && onState(true));
    worker.on('error', () => onState(false));
    worker.on('exit', () => onState(false));
    return new Checkpointer(worker);
  }

  async stop(): Promise<void> {
    // Held (ref'd) while stopping: with nothing else left to run, an unref'd wait would let the process end mid-close.
    this.worker.ref();
    const exited = new Promise((r) => this.worker.once('exit', r));
    this.worker.postMessage('stop');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 1000)))]);
    clearTimeout(timer);
    await this.worker.terminate();
  }
}
