// `switchboard serve`: load the config (refusing to start on any error), open
// the store, listen; SIGHUP reloads the config; SIGTERM/SIGINT drain and exit 0.
import { createLogger } from '../observe/log.js';
import { startServer, type RunningServer } from '../server.js';
import { StoreError } from '../store/types.js';
import { loadForCommand, type IO } from './io.js';
import { errorMessage } from '../lib/errors.js';

export async function serveCommand(file: string, io: IO): Promise<number> {
  const config = loadForCommand(file, io);
  if (!config) return 1;
  // Declared before the logger, which may log (a bad LOG_FORMAT) before the server exists.
  let server: RunningServer | undefined;
  // Every line is masked with the live config's secrets (they change on reload).
  const log = createLogger(io.env, undefined, () => (server?.config() ?? config).secrets);

  // Signal handlers go in before the server announces itself: a signal that
  // finds no handler would kill the process (SIGHUP's default action).
  let stopRequested: ((signal: string) => void) | undefined;
  const stopSignal = new Promise<string>((resolve) => (stopRequested = resolve));
  const onStop = (signal: string) => () => stopRequested!(signal);
  const onHup = () => server?.reload('SIGHUP');
  process.once('SIGTERM', onStop('SIGTERM'));
  process.once('SIGINT', onStop('SIGINT'));
  process.on('SIGHUP', onHup);

  try {
    server = await startServer({ config, log, configFile: file, watch: true, env: io.env });
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
      // server.workers: the main thread plus this many delivery threads (0: one event loop does everything).
      deliveryThreads: server.deliveryThreads,
    },
    `listening on port ${server.port}`,
  );

  const signal = await stopSignal;
  log.info({ signal }, 'shutting down: finishing requests in flight');
  try {
    await server.close();
    log.info('stopped');
    // A library that leaves a socket open (a broker that never answered) must not keep a stopped server alive.
    setTimeout(() => process.exit(0), 2000).unref();
    return 0;
  } catch (err) {
    log.error({ err: errorMessage(err) }, 'shutdown failed');
    return 1;
  } finally {
    process.off('SIGHUP', onHup);
  }
}
