// Structured logs (JSON lines, pino). What goes in is chosen field by field:
// sources, topics, ids, statuses and timings; never headers, bodies or secrets.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(env: NodeJS.ProcessEnv = process.env, destination?: NodeJS.WritableStream): Logger {
  const level = env.LOG_LEVEL ?? 'info';
  const options = { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  return destination ? pino(options, destination as never) : pino(options);
}
