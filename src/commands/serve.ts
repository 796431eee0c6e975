// `switchboard serve`: load the config (refusing to start on any error), open
// the store, listen; SIGTERM/SIGINT drain and exit 0.
import { createLogger } from '../observe/log.js';
import { startServer } from '../server.js';
import { StoreError } from '../store/types.js';
import { loadForCommand, type IO } from './io.js';

export async function serveCommand(file: string, io: IO): Promise<number> {
  const config = loadForCommand(file, io);
  if (!config) return 1;
  const log = createLogger(io.env);
  let server;
  try {
    server = await startServer({ config, log });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') io.err(`switchboard: port ${config.server.port} is already in use (set PORT or server.port)`);
    else if (err instanceof StoreError) io.err(`switchboard: ${e.message}`);
    else throw err;
    return 1;
  }
  log.info(
    {
      port: server.port,
      config: file,
      version: config.hash.slice(0, 12),
      store: config.store.replace(/\/\/[^@/]*@/, '//***@'),
      sources: [...config.sources.values()].map((s) => `POST ${config.server.basePath}${s.path} (${s.name}, ${s.verify.scheme.name})`),
      routes: config.routes.length,
    },
    `listening on port ${server.port}`,
  );

  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down: finishing requests in flight');
      server.close().then(
        () => {
          log.info('stopped');
          resolve(0);
        },
        (err: unknown) => {
          log.error({ err: (err as Error).message }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
