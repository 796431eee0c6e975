// Structured logs (JSON lines, pino). What goes in is chosen field by field:
// sources, topics, ids, statuses and timings; never headers, bodies or secrets.
// As a last line of defence every line is also masked on its way out: the live
// config's secrets (when the caller says where to find them) and any password
// in a URL — so an error message that happens to quote one cannot leak it.
import { pino, type Logger } from 'pino';
import { createRedactor } from './redact.js';

export type { Logger };

const NO_SECRETS: readonly string[] = Object.freeze([]);

export function createLogger(
  env: NodeJS.ProcessEnv = process.env,
  destination?: NodeJS.WritableStream,
  /** The secrets to mask, read at each line (they change on reload). */
  secrets: () => readonly string[] = () => NO_SECRETS,
): Logger {
  const level = env.LOG_LEVEL ?? 'info';
  const options = {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) {
        const redact = createRedactor(secrets());
        method.apply(
          this,
          args.map((a) => (a instanceof Error ? { err: redact.text(a.message) } : redact.value(a))),
        );
      },
    },
  };
  return destination ? pino(options as never, destination as never) : pino(options as never);
}
