// argv → one command function each. No logic of its own beyond parsing: every
// command declares its options, arguments, an example and its exit codes here,
// from which come its `--help`, the global usage, and the checks (an option
// that is not the command's, a missing or extra argument: exit 2 naming it).
import { parseArgs } from 'node:util';
import { closest } from './config/didyoumean.js';
import { withDotEnv } from './commands/dotenv.js';
import { diffCommand } from './commands/diff.js';
import { bulkReplayCommand, eventsCommand, exportTestCommand, replayCommand } from './commands/events.js';
import { initCommand } from './commands/init.js';
import { processIO, parseHeaderArg, type IO } from './commands/io.js';
import { schemaCommand } from './commands/schema.js';
import { schemesCommand } from './commands/schemes.js';
import { sendCommand } from './commands/send.js';
import { serveCommand } from './commands/serve.js';
import { sinkCommand } from './commands/sink.js';
import { testCommand } from './commands/test.js';
import { tryCommand } from './commands/try.js';
import { validateCommand } from './commands/validate.js';
import { VERSION } from './version.js';
import { errorMessage } from './lib/errors.js';

/** Exit codes, as SPEC §4 and the README say. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** The value's name in the usage (`<file>`). */
  readonly value?: string;
  readonly help: string;
}

const OPTIONS = {
  config: { type: 'string', short: 'c', value: 'file', help: 'the config file (default: $SWITCHBOARD_CONFIG, else ./routes.yaml)' },
  header: { type: 'string', short: 'H', multiple: true, value: "'Name: value'", help: 'a request header (repeatable)' },
  query: { type: 'string', short: 'q', multiple: true, value: 'name=value', help: 'a query parameter of the webhook URL (repeatable)' },
  port: { type: 'string', short: 'p', value: 'port', help: 'the port to listen on (default 9999)' },
  url: { type: 'string', value: 'http://host:port', help: "the running server (default: http://127.0.0.1:<the config's port>)" },
  key: { type: 'string', value: 'private.pem', help: "the sender's private key, for public-key schemes (Discord, SendGrid, …)" },
  source: { type: 'string', value: 'name', help: 'only events of this source' },
  topic: { type: 'string', value: 'glob', help: 'only events whose topic matches (issues.*)' },
  status: { type: 'string', value: 'status', help: 'pending, succeeded, filtered, dead or cancelled' },
  limit: { type: 'string', value: 'n', help: 'at most this many' },
  route: { type: 'string', value: 'name', help: 'only deliveries to this route' },
  since: { type: 'string', value: 'when', help: 'received since: a duration back from now (1h, 7d) or an ISO time' },
  until: { type: 'string', value: 'when', help: 'received before: a duration back from now or an ISO time' },
  cursor: { type: 'string', value: 'event-id', help: "continue after this event (the previous run's nextCursor)" },
  'dry-run': { type: 'boolean', help: 'say what would be done, change nothing' },
  'as-test': { type: 'boolean', help: 'export the event as a tests: case (required)' },
  fixtures: { type: 'string', value: 'dir', help: 'where to write the payload fixture (default ./fixtures/<source>/)' },
  json: { type: 'boolean', help: 'print the result as one JSON document on stdout' },
  format: { type: 'string', value: 'text|github', help: 'github: ::error file=…,line=…,col=…:: lines, which GitHub Actions shows on the YAML' },
  'pass-with-no-tests': { type: 'boolean', help: 'exit 0 when the config has no tests: cases' },
  path: { type: 'boolean', help: "print the schema file's path instead of its content" },
  force: { type: 'boolean', help: 'write into a directory that is not empty (never over an existing file)' },
  help: { type: 'boolean', short: 'h', help: 'this help' },
} as const satisfies Record<string, OptionSpec>;

type OptionName = keyof typeof OPTIONS;
type Values = { [K in OptionName]?: (typeof OPTIONS)[K] extends { type: 'boolean' } ? boolean : (typeof OPTIONS)[K] extends { multiple: true } ? string[] : string };

interface Ctx {
  values: Values;
  args: string[];
  config: string;
  io: IO;
}

interface CommandSpec {
  /** What follows the command name in the usage line, options excluded. */
  readonly synopsis: string;
  readonly summary: string;
  readonly options: readonly OptionName[];
  /** How many positional arguments it takes. */
  readonly args: readonly [min: number, max: number];
  readonly examples: readonly string[];
  /** Exit codes besides 0 and 2 (which every command has). */
  readonly exits: readonly (readonly [number, string])[];
  run(ctx: Ctx): Promise<number> | number;
}

const REACH: readonly [number, string] = [EXIT.unreachable, 'the server could not be reached'];

const COMMANDS: Record<string, CommandSpec> = {
  init: {
    synopsis: '[dir]',
    summary: 'write a starter routes.yaml (one source, target, route and test), its payload fixture and .env.example into dir (default .); never overwrites a file',
    options: ['force'],
    args: [0, 1],
    examples: ['switchboard init my-hooks && cd my-hooks && switchboard test'],
    exits: [[EXIT.failed, 'a file is in the way (nothing was written)']],
    run: ({ args, values, io }) => initCommand(args[0] ?? '.', { force: values.force === true }, io),
  },
  validate: {
    synopsis: '',
    summary: 'check the config: a one-line summary when valid, else every error as file:line:col',
    options: ['config', 'json', 'format'],
    args: [0, 0],
    examples: ['switchboard validate -c routes.yaml', 'switchboard validate --format github   # in a GitHub Actions step'],
    exits: [[EXIT.failed, 'the config is invalid']],
    run: ({ config, values, io }) => {
      const format = values.format ?? 'text';
      if (format !== 'text' && format !== 'github') throw new UsageError(`--format must be text or github, not "${format}"`, 'validate');
      if (values.json && values.format) throw new UsageError('--json and --format are alternatives: choose one', 'validate');
      return validateCommand(config, io, values.json ? 'json' : format);
    },
  },
  test: {
    synopsis: '',
    summary: "run the config's tests: cases, a line per case and a diff per failure",
    options: ['config', 'json', 'pass-with-no-tests'],
    args: [0, 0],
    examples: ['switchboard test -c routes.yaml'],
    exits: [[EXIT.failed, 'a case failed, the config is invalid, or it has no tests: cases (unless --pass-with-no-tests)']],
    run: ({ config, values, io }) => testCommand(config, io, { json: values.json === true, passWithNoTests: values['pass-with-no-tests'] === true }),
  },
  try: {
    synopsis: '<source> <payload-file>',
    summary: 'dry run: the topic, id, each route’s verdict and the exact requests that would be sent; sends nothing',
    options: ['config', 'header', 'query', 'json'],
    args: [2, 2],
    examples: ["switchboard try github fixtures/github/issue-comment.json -H 'X-GitHub-Event: issue_comment'"],
    exits: [[EXIT.failed, 'the config is invalid, the payload cannot be read, or a route fails']],
    run: ({ config, args, values, io }) => tryCommand({ config, source: args[0]!, payloadFile: args[1]!, headers: headersOf(values, 'try'), query: queryOf(values), json: values.json === true }, io),
  },
  serve: {
    synopsis: '',
    summary: 'run the webhook server and its delivery worker; the config is watched and reloaded',
    options: ['config'],
    args: [0, 0],
    examples: ['switchboard serve -c routes.yaml', 'PORT=9000 switchboard serve'],
    exits: [[EXIT.failed, 'it could not start (an invalid config, the port in use, the store unreachable)']],
    run: ({ config, io }) => serveCommand(config, io),
  },
  sink: {
    synopsis: '',
    summary: 'a local request bin: prints every request it gets and answers 200',
    options: ['port'],
    args: [0, 0],
    examples: ['switchboard sink --port 9999'],
    exits: [[EXIT.failed, 'the port could not be opened']],
    run: ({ values, io }) => {
      const port = Number(values.port ?? '9999');
      if (!/^\d+$/.test(values.port ?? '9999') || port > 65535) throw new UsageError(`--port must be a port number (0-65535), not "${values.port}"`, 'sink');
      return sinkCommand(port, io).catch(() => EXIT.failed);
    },
  },
  send: {
    synopsis: '<source> <payload-file>',
    summary: "sign a payload with the source's scheme and secret, as its provider would, and post it to a running server",
    options: ['config', 'header', 'query', 'url', 'key'],
    args: [2, 2],
    examples: ["switchboard send github fixtures/github/issue-comment.json -H 'X-GitHub-Event: issue_comment'"],
    exits: [[EXIT.failed, 'the server refused it, or it cannot be signed'], REACH],
    run: ({ config, args, values, io }) =>
      sendCommand(
        {
          config,
          source: args[0]!,
          payloadFile: args[1]!,
          headers: headersOf(values, 'send'),
          query: queryOf(values),
          ...(values.url ? { url: values.url } : {}),
          ...(values.key ? { key: values.key } : {}),
        },
        io,
      ),
  },
  schemes: {
    synopsis: '[name]',
    summary: 'the verification schemes (providers), or one with its checks, settings and an example',
    options: [],
    args: [0, 1],
    examples: ['switchboard schemes', 'switchboard schemes stripe'],
    exits: [[EXIT.failed, 'no such scheme']],
    run: ({ args, io }) => schemesCommand(args[0], io),
  },
  schema: {
    synopsis: '',
    summary: 'print the JSON Schema of routes.yaml (for editors: # yaml-language-server: $schema=<path>)',
    options: ['path'],
    args: [0, 0],
    examples: ['switchboard schema --path', 'switchboard schema > routes.schema.json'],
    exits: [],
    run: ({ values, io }) => schemaCommand({ path: values.path === true }, io),
  },
  events: {
    synopsis: '| events export <event-id> --as-test',
    summary: 'recent events, through the admin API; `events export <id> --as-test` prints a tests: case for one and writes its payload fixture',
    options: ['config', 'url', 'source', 'topic', 'status', 'limit', 'as-test', 'fixtures'],
    args: [0, 2],
    examples: ['switchboard events --status dead', 'switchboard events export evt_01h… --as-test >> routes.yaml'],
    exits: [[EXIT.failed, 'the admin API refused the request'], REACH],
    run: ({ config, args, values, io }) => {
      const url = values.url ? { url: values.url } : {};
      if (args[0] === 'export') {
        if (args.length !== 2) throw new UsageError('expected: switchboard events export <event-id> --as-test [--fixtures dir]', 'events');
        if (!values['as-test']) throw new UsageError('events export needs --as-test (a tests: case and its payload fixture is the one export there is)', 'events');
        misplaced(values, ['source', 'topic', 'status', 'limit'], 'events export');
        return exportTestCommand({ config, eventId: args[1]!, ...url, ...(values.fixtures ? { fixtures: values.fixtures } : {}) }, io);
      }
      if (args.length > 0) throw new UsageError(`unexpected argument "${args[0]}" (events takes none; events export <event-id> --as-test exports one)`, 'events');
      misplaced(values, ['as-test', 'fixtures'], 'events (they are for events export)');
      return eventsCommand({ config, ...url, ...pick(values, ['source', 'topic', 'status', 'limit']) }, io);
    },
  },
  replay: {
    synopsis: '<event-id> | replay --status dead [--route r] [--source s] [--topic t] [--since 1h] [--until …] [--limit n] [--cursor id] [--dry-run]',
    summary: 'send one event through its routes again; or, by filter: --status dead retries the dead deliveries that match, other filters replay the matching events (--dry-run says what it would do)',
    options: ['config', 'url', 'source', 'topic', 'route', 'status', 'since', 'until', 'limit', 'cursor', 'dry-run'],
    args: [0, 1],
    examples: ['switchboard replay evt_01h…', 'switchboard replay --status dead --route orders --since 1h --dry-run'],
    exits: [[EXIT.failed, 'the admin API refused the request'], REACH],
    run: ({ config, args, values, io }) => {
      const url = values.url ? { url: values.url } : {};
      const filters = (['source', 'topic', 'route', 'status', 'since', 'until', 'limit', 'cursor'] as const).filter((k) => values[k] !== undefined);
      if (args.length === 1 && filters.length === 0 && !values['dry-run']) return replayCommand({ config, eventId: args[0]!, ...url }, io);
      // An id alone, or filters (at least one that narrows) without an id.
      if (args.length > 0 || filters.every((k) => k === 'limit' || k === 'cursor')) {
        throw new UsageError('expected: switchboard replay <event-id>, or switchboard replay with filters and no id (--status dead --route r --since 1h …)', 'replay');
      }
      return bulkReplayCommand({ config, ...url, ...pick(values, filters), ...(values['dry-run'] ? { dryRun: true } : {}) }, io);
    },
  },
  diff: {
    synopsis: '',
    summary: "preview an edited config against a running server's recorded events, sending nothing: per route what would start, stop, change or fail",
    options: ['config', 'url', 'since', 'limit'],
    args: [0, 0],
    examples: ['switchboard diff -c next.yaml --since 24h   # next.yaml: an edited copy of routes.yaml; mv it into place when the diff is right'],
    exits: [
      [EXIT.failed, 'something would change'],
      [EXIT.usage, 'bad usage, or the edited file is invalid (every error as file:line:col)'],
      [EXIT.unreachable, 'the server could not be reached, or refused the call'],
    ],
    run: ({ config, values, io }) => diffCommand({ config, ...pick(values, ['url', 'since', 'limit']) }, io),
  },
};

class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

function pick<K extends OptionName>(values: Values, keys: readonly K[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) if (typeof values[k] === 'string') out[k] = values[k] as string;
  return out;
}

function misplaced(values: Values, keys: readonly OptionName[], where: string): void {
  const given = keys.filter((k) => values[k] !== undefined);
  if (given.length) throw new UsageError(`${given.map((k) => `--${k}`).join(', ')} ${given.length > 1 ? 'are' : 'is'} not an option of ${where}`, where.split(' ')[0]);
}

function headersOf(values: Values, command: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const h of values.header ?? []) {
    const parsed = parseHeaderArg(h);
    if (!parsed) throw new UsageError(`bad header "${h}": expected 'Name: value'`, command);
    headers[parsed[0]] = parsed[1];
  }
  return headers;
}

function queryOf(values: Values, command = 'try'): Record<string, string> {
  const query: Record<string, string> = {};
  for (const q of values.query ?? []) {
    const i = q.indexOf('=');
    if (i <= 0) throw new UsageError(`bad query parameter "${q}": expected name=value`, command);
    query[q.slice(0, i)] = q.slice(i + 1);
  }
  return query;
}

function optionLabel(name: OptionName): string {
  const o: OptionSpec = OPTIONS[name];
  return `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` <${o.value}>` : ''}`;
}

/** `switchboard <command> --help`: usage, what it does, its options, an example, its exit codes. */
export function commandHelp(name: string): string {
  const spec = COMMANDS[name]!;
  const opts = [...spec.options, 'help' as const];
  const width = Math.max(...opts.map((o) => optionLabel(o).length));
  const exits: (readonly [number, string])[] = [[EXIT.ok, 'success'], ...spec.exits];
  if (!spec.exits.some(([code]) => code === EXIT.usage)) exits.push([EXIT.usage, 'bad usage (an unknown option, a missing argument)']);
  exits.sort((a, b) => a[0] - b[0]);
  return [
    `Usage: switchboard ${name}${spec.synopsis ? ` ${spec.synopsis}` : ''}${spec.options.length ? ' [options]' : ''}`,
    '',
    spec.summary,
    '',
    'Options:',
    ...opts.map((o) => `  ${optionLabel(o).padEnd(width)}  ${OPTIONS[o].help}`),
    '',
    spec.examples.length > 1 ? 'Examples:' : 'Example:',
    ...spec.examples.map((e) => `  ${e}`),
    '',
    'Exit codes:',
    ...exits.map(([code, what]) => `  ${code}  ${what}`),
  ].join('\n');
}

/** `switchboard --help`. */
export function globalUsage(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return [
    'Usage: switchboard <command> [options]',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n]!.summary}`),
    '',
    'switchboard <command> --help shows its options, an example and its exit codes.',
    '',
    'Options:',
    '  -h, --help     this help',
    '  -v, --version  the version',
    '',
    `Exit codes: ${EXIT.ok} success, ${EXIT.failed} the command's check failed (an invalid config, a failing test, diff found changes), ${EXIT.usage} bad usage, ${EXIT.unreachable} a server could not be reached.`,
    'A .env file in the working directory is read for ${NAME} in the config (the environment wins).',
  ].join('\n');
}

/** Options that take a value, as written on the command line (`--url`, `-c`). */
const TAKES_VALUE = new Set(
  Object.entries(OPTIONS as Record<string, OptionSpec>)
    .filter(([, o]) => o.type === 'string')
    .flatMap(([name, o]) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])]),
);

/** Where the command word is: the first argument that is not an option or an option's value (`--url x diff`). */
function findCommand(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return i + 1 < argv.length ? i + 1 : -1;
    if (!a.startsWith('-') || a === '-') return i;
    if (TAKES_VALUE.has(a)) i++;
  }
  return -1;
}

export async function main(argv: string[], baseIO: IO = processIO()): Promise<number> {
  const at = findCommand(argv);
  const command = at >= 0 ? argv[at]! : undefined;
  const rest = at >= 0 ? [...argv.slice(0, at), ...argv.slice(at + 1)] : [...argv];
  const io = baseIO;
  if (command === undefined) {
    if (rest.includes('-v') || rest.includes('--version')) {
      io.out(VERSION);
      return EXIT.ok;
    }
    if (rest.includes('-h') || rest.includes('--help')) {
      io.out(globalUsage());
      return EXIT.ok;
    }
    io.err(rest.length ? `switchboard: ${rest[0]} needs a command` : 'switchboard: a command is needed');
    io.err(globalUsage());
    return EXIT.usage;
  }
  if (command === 'help') {
    const about = rest.find((a) => !a.startsWith('-'));
    if (about === undefined) io.out(globalUsage());
    else if (COMMANDS[about]) io.out(commandHelp(about));
    else {
      const near = closest(about, Object.keys(COMMANDS));
      io.err(`switchboard: no command "${about}"${near ? `; did you mean "${near}"?` : ''}`);
      return EXIT.usage;
    }
    return EXIT.ok;
  }
  const spec = COMMANDS[command];
  if (!spec) {
    const near = closest(command, Object.keys(COMMANDS));
    io.err(`switchboard: unknown command "${command}"${near ? `; did you mean "${near}"?` : ''}`);
    io.err('Run switchboard --help for the commands.');
    return EXIT.usage;
  }
  const usageError = (message: string) => {
    io.err(`switchboard ${command}: ${message}`);
    io.err(`Run switchboard ${command} --help for its usage.`);
    return EXIT.usage;
  };

  const allowed = new Set<string>([...spec.options, 'help']);
  const options = Object.fromEntries([...allowed].map((n) => [n, OPTIONS[n as OptionName]]));
  // First pass, lenient: name every option that is not this command's (with where it belongs, or a near one).
  const { tokens } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: false, tokens: true });
  for (const t of tokens) {
    if (t.kind !== 'option' || allowed.has(t.name)) continue;
    const shown = t.rawName;
    if (t.name === 'version') return usageError(`${shown} goes before the command (switchboard --version)`);
    if (t.name in OPTIONS) {
      const owners = Object.keys(COMMANDS).filter((c) => COMMANDS[c]!.options.includes(t.name as OptionName));
      return usageError(`${shown} is not an option of ${command}${owners.length ? ` (it is for ${owners.join(', ')})` : ''}`);
    }
    const near = closest(t.name, [...allowed]);
    return usageError(`unknown option ${shown}${near ? `; did you mean --${near}?` : ''}`);
  }
  // An option given twice that takes one value: the last would win silently.
  const seen = new Set<string>();
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const o: OptionSpec | undefined = (OPTIONS as Record<string, OptionSpec>)[t.name];
    if (seen.has(t.name) && o && !o.multiple) return usageError(`--${t.name} is given more than once`);
    seen.add(t.name);
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch (err) {
    // Node's messages name the option ("Option '-c, --config <value>' argument missing").
    return usageError(errorMessage(err));
  }
  const values = parsed.values as Values;
  if (values.help) {
    io.out(commandHelp(command));
    return EXIT.ok;
  }
  const args = parsed.positionals;
  const [min, max] = spec.args;
  if (args.length < min || args.length > max) {
    const what = args.length < min ? `missing argument${min - args.length > 1 ? 's' : ''}` : `unexpected argument "${args[max]}"`;
    return usageError(`${what}: expected switchboard ${command}${spec.synopsis ? ` ${spec.synopsis}` : ''}`);
  }
  try {
    // .env beside the user is read for ${NAME}; the environment wins.
    const ctxIO = spec.options.includes('config') ? withDotEnv(io, command === 'serve') : io;
    const config = values.config ?? ctxIO.env.SWITCHBOARD_CONFIG ?? 'routes.yaml';
    return await spec.run({ values, args, config, io: ctxIO });
  } catch (err) {
    if (err instanceof UsageError) return usageError(err.message);
    // A bug, not a user error: say so plainly; the stack only on request.
    io.err(`switchboard: internal error: ${errorMessage(err)}`);
    if (io.env.SWITCHBOARD_DEBUG) io.err((err as Error).stack ?? '');
    else io.err('(set SWITCHBOARD_DEBUG=1 for details, and please report it)');
    return EXIT.failed;
  }
}
