// argv → one command function each. No logic of its own beyond parsing.
import { parseArgs } from 'node:util';
import { processIO, parseHeaderArg, type IO } from './commands/io.js';
import { bulkReplayCommand, eventsCommand, exportTestCommand, replayCommand } from './commands/events.js';
import { diffCommand } from './commands/diff.js';
import { schemesCommand } from './commands/schemes.js';
import { sendCommand } from './commands/send.js';
import { serveCommand } from './commands/serve.js';
import { sinkCommand } from './commands/sink.js';
import { testCommand } from './commands/test.js';
import { tryCommand } from './commands/try.js';
import { validateCommand } from './commands/validate.js';
import { VERSION } from './version.js';

const USAGE = `Usage: switchboard <command> [options]

Commands:
  validate [-c routes.yaml]                 check the config; every error as file:line:col
  test [-c routes.yaml]                     run the config's tests: cases
  try <source> <payload-file> [-H 'Name: value']... [-q name=value]...
                                            dry run: topic, routes, the requests that would be sent
  serve [-c routes.yaml]                    run the webhook server
  sink [--port 9999]                        a local request bin: prints each request it gets, answers 200
  send <source> <payload-file> [-H 'Name: value']... [--url http://host:port] [--key private.pem]
                                            sign a payload as the source's provider would and post it
  schemes [name]                            the verification schemes (providers), or one in detail
  events [--source s] [--topic t] [--status dead] [--limit n] [--url …]
                                            recent events, through the admin API
  events export <event-id> --as-test [--fixtures dir] [--url …]
                                            a recorded event as a tests: case (stdout) and its
                                            payload fixture (default ./fixtures/<source>/)
  diff -c edited.yaml [--url …] [--since 24h] [--limit 500]
                                            preview an edited config against a running server's
                                            recorded events, sending nothing: per route what would
                                            start, stop or change (exit 0 none, 1 changes, 2 invalid)
  replay <event-id> [--url …]               send an event through its routes again
  replay --status dead [--route r] [--source s] [--topic t] [--since 1h] [--until …] [--limit n] [--cursor id] [--dry-run]
                                            by filter: --status dead retries the dead deliveries
                                            that match; other filters replay the matching events

Options:
  -c, --config <file>   config file (default: $SWITCHBOARD_CONFIG or ./routes.yaml)
  -h, --help            this help
  -v, --version         the version`;

class UsageError extends Error {}

export async function main(argv: string[], io: IO = processIO()): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        header: { type: 'string', short: 'H', multiple: true },
        query: { type: 'string', short: 'q', multiple: true },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        port: { type: 'string', short: 'p' },
        url: { type: 'string' },
        key: { type: 'string' },
        source: { type: 'string' },
        topic: { type: 'string' },
        status: { type: 'string' },
        limit: { type: 'string' },
        route: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        cursor: { type: 'string' },
        'dry-run': { type: 'boolean' },
        'as-test': { type: 'boolean' },
        fixtures: { type: 'string' },
      },
    });
  } catch (err) {
    io.err(`switchboard: ${(err as Error).message}`);
    io.err(USAGE);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    io.out(VERSION);
    return 0;
  }
  const [command, ...args] = positionals;
  if (values.help || !command || command === 'help') {
    (command || values.help ? io.out : io.err)(USAGE);
    return command || values.help ? 0 : 2;
  }
  const config = values.config ?? io.env.SWITCHBOARD_CONFIG ?? 'routes.yaml';
  try {
    switch (command) {
      case 'validate':
        expectArgs(args, 0, 'validate');
        return validateCommand(config, io);
      case 'test':
        expectArgs(args, 0, 'test');
        return await testCommand(config, io);
      case 'try':
      case 'send': {
        expectArgs(args, 2, `${command} <source> <payload-file>`);
        const headers: Record<string, string> = {};
        for (const h of values.header ?? []) {
          const pair = parseHeaderArg(h);
          if (!pair) throw new UsageError(`bad header "${h}": write it as 'Name: value'`);
          headers[pair[0]] = pair[1];
        }
        const query: Record<string, string> = {};
        for (const q of values.query ?? []) {
          const i = q.indexOf('=');
          if (i <= 0) throw new UsageError(`bad query parameter "${q}": write it as name=value`);
          query[q.slice(0, i)] = q.slice(i + 1);
        }
        const common = { config, source: args[0]!, payloadFile: args[1]!, headers, query };
        if (command === 'try') return await tryCommand(common, io);
        return await sendCommand({ ...common, ...(values.url ? { url: values.url } : {}), ...(values.key ? { key: values.key } : {}) }, io);
      }
      case 'events':
        if (args[0] === 'export') {
          expectArgs(args, 2, 'events export <event-id> --as-test [--fixtures dir]');
          if (!values['as-test']) throw new UsageError('events export needs --as-test (a tests: case and its payload fixture is the one export there is)');
          return await exportTestCommand({ config, eventId: args[1]!, ...(values.url ? { url: values.url } : {}), ...(values.fixtures ? { fixtures: values.fixtures } : {}) }, io);
        }
        expectArgs(args, 0, 'events');
        return await eventsCommand(
          {
            config,
            ...(values.url ? { url: values.url } : {}),
            ...(values.source ? { source: values.source } : {}),
            ...(values.topic ? { topic: values.topic } : {}),
            ...(values.status ? { status: values.status } : {}),
            ...(values.limit ? { limit: values.limit } : {}),
          },
          io,
        );
      case 'schemes':
        if (args.length > 1) throw new UsageError('expected: switchboard schemes [name]');
        return schemesCommand(args[0], io);
      case 'replay': {
        const filters = (['source', 'topic', 'route', 'status', 'since', 'until', 'limit', 'cursor'] as const).filter((k) => values[k] !== undefined);
        if (args.length === 1 && filters.length === 0 && !values['dry-run']) {
          return await replayCommand({ config, eventId: args[0]!, ...(values.url ? { url: values.url } : {}) }, io);
        }
        // An id alone, or filters (at least one that narrows) without an id.
        if (args.length > 0 || filters.every((k) => k === 'limit' || k === 'cursor')) {
          throw new UsageError('expected: switchboard replay <event-id>, or switchboard replay with filters and no id (--status dead --route r --since 1h …)');
        }
        const bulk: Record<string, string> = {};
        for (const k of filters) bulk[k] = values[k]!;
        return await bulkReplayCommand({ config, ...bulk, ...(values.url ? { url: values.url } : {}), ...(values['dry-run'] ? { dryRun: true } : {}) }, io);
      }
      case 'diff':
        expectArgs(args, 0, 'diff -c edited.yaml [--url http://host:port] [--since 24h] [--limit 500]');
        return await diffCommand({ config, ...(values.url ? { url: values.url } : {}), ...(values.since ? { since: values.since } : {}), ...(values.limit ? { limit: values.limit } : {}) }, io);
      case 'serve':
        expectArgs(args, 0, 'serve');
        return await serveCommand(config, io);
      case 'sink': {
        expectArgs(args, 0, 'sink [--port 9999]');
        const port = Number(values.port ?? '9999');
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`bad port "${values.port}"`);
        return await sinkCommand(port, io).catch(() => 1);
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`switchboard: ${err.message}`);
      io.err(USAGE);
      return 2;
    }
    // A bug, not a user error: say so plainly; the stack only on request.
    io.err(`switchboard: internal error: ${(err as Error).message}`);
    if (io.env.SWITCHBOARD_DEBUG) io.err((err as Error).stack ?? '');
    else io.err('(set SWITCHBOARD_DEBUG=1 for details, and please report it)');
    return 70;
  }
}

function expectArgs(args: string[], n: number, usage: string) {
  if (args.length !== n) throw new UsageError(`expected: switchboard ${usage}`);
}
