// file → YAML (with positions) → ${env} → JSON Schema → compile. Each step
// collects every problem it can find; the result is a Config or the list
// (the first MAX_LISTED_ISSUES, and a count of the rest).
//
// Bounded: the file is refused past a size limit before it is read, and every
// step is linear in the file, so a hostile or mistaken file costs time in
// proportion to its (capped) size. The running server does this in a thread
// (check-thread.ts); start-up and the CLI call it directly.
import { compileConfig } from './compile.js';
import { withHintBudget } from './didyoumean.js';
import { interpolate, unsubstitute } from './env.js';
import { capIssues, ConfigError, type ConfigIssue } from './issues.js';
import { validateSchema } from './schema.js';
import type { Config } from './types.js';
import { parseSize } from './units.js';
import { YamlFile } from './yamldoc.js';
import { errorMessage } from '../lib/errors.js';
import { readSmallFile } from '../lib/small-file.js';

/** The largest config file read, unless SWITCHBOARD_MAX_CONFIG_SIZE says otherwise. */
export const DEFAULT_MAX_CONFIG_BYTES = 1024 * 1024;
export const MAX_CONFIG_SIZE_ENV = 'SWITCHBOARD_MAX_CONFIG_SIZE';

export interface LoadResult {
  config?: Config;
  /** Errors and warnings, sorted by position; at most MAX_LISTED_ISSUES of each. With errors there is no config. */
  issues: ConfigIssue[];
  /** Errors found beyond those listed in `issues`. */
  omittedErrors?: number;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** The file's text, when already read (reload reads once, hashes and parses the same bytes). */
  text?: string;
  /** Only these `${file:…}` paths may be read (the admin preview); undefined: any. */
  files?: readonly string[];
  /** Only these `${NAME}` may be read (the admin preview); undefined: any. */
  names?: readonly string[];
}

/** What a preview may read: the live config's references. */
export interface ReadLimits {
  readonly files?: readonly string[];
  readonly names?: readonly string[];
}

/** The size limit in bytes, or an error message when the environment sets it wrongly. */
export function maxConfigBytes(env: NodeJS.ProcessEnv = process.env): number | { error: string } {
  const raw = env[MAX_CONFIG_SIZE_ENV];
  if (raw === undefined || raw === '') return DEFAULT_MAX_CONFIG_BYTES;
  const n = parseSize(raw);
  if (n === undefined || n <= 0) return { error: `${MAX_CONFIG_SIZE_ENV}=${JSON.stringify(raw)} is not a size (expected something like 2mb)` };
  return n;
}

function tooLarge(file: string, bytes: number, limit: number): ConfigIssue {
  return {
    file,
    line: 1,
    col: 1,
    message: `config file is too large: ${formatBytes(bytes)}, over the ${formatBytes(limit)} limit (split it, or raise the limit with ${MAX_CONFIG_SIZE_ENV}, e.g. ${MAX_CONFIG_SIZE_ENV}=2mb)`,
    severity: 'error',
  };
}

function formatBytes(n: number): string {
  const human = n >= 1024 * 1024 ? `${+(n / (1024 * 1024)).toFixed(1)} MB` : n >= 1024 ? `${+(n / 1024).toFixed(1)} KB` : `${n} B`;
  return `${human} (${n} bytes)`;
}

export function loadConfigText(file: string, text: string, env: NodeJS.ProcessEnv = process.env, limits: ReadLimits = {}): LoadResult {
  const limit = maxConfigBytes(env);
  if (typeof limit !== 'number') return { issues: [{ file, line: 1, col: 1, message: limit.error, severity: 'error' }] };
  // Characters first: a string longer than the limit in UTF-16 units is over it in bytes too, without counting them.
  const bytes = text.length > limit ? text.length : Buffer.byteLength(text, 'utf8');
  if (bytes > limit) return { issues: [tooLarge(file, bytes, limit)] };
  return withHintBudget(() => loadChecked(file, text, env, limits));
}

function loadChecked(file: string, text: string, env: NodeJS.ProcessEnv, limits: ReadLimits): LoadResult {
  let yaml: YamlFile;
  try {
    yaml = new YamlFile(file, text);
  } catch (err) {
    // Nesting deep enough to exhaust the parser's stack is a file problem, not a crash.
    return { issues: [{ file, line: 1, col: 1, message: `cannot parse the file: ${errorMessage(err)}`, severity: 'error' }] };
  }
  const syntax = yaml.syntaxIssues();
  // Past a syntax error the document's shape is a guess: report just those.
  if (syntax.length > 0) return capped(syntax);
  let data: unknown;
  let env$: ReturnType<typeof interpolate>;
  try {
    env$ = interpolate(yaml, env, { ...(limits.files ? { files: new Set(limits.files) } : {}), ...(limits.names ? { names: new Set(limits.names) } : {}) });
    data = yaml.doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { issues: [yaml.issueAtOffset(0, `cannot read the document: ${errorMessage(err)}`)] };
  }
  if (data === null || data === undefined) {
    return { issues: [yaml.issueAtOffset(0, 'the file is empty: it needs at least "version: 1", "sources" and "routes"')] };
  }
  let all: ConfigIssue[];
  let config: Config | undefined;
  try {
    const schema = validateSchema(yaml, data);
    const compiled = compileConfig({ yaml, data, badPaths: schema.badPaths, secrets: env$.secrets, env, references: { env: [...env$.names], files: [...env$.files] } });
    all = [...env$.issues, ...schema.issues, ...compiled.issues];
    config = compiled.config;
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return { issues: [yaml.issueAtOffset(0, `cannot check the document: ${err.message} (is something nested far too deeply?)`)] };
  }
  const result = capped(all);
  result.issues = unsubstitute(result.issues, env$); // a message quotes `${DB_URL}`, never what it held
  const hasErrors = result.issues.some((i) => i.severity === 'error');
  return hasErrors || !config ? result : { ...result, config };
}

function capped(all: ConfigIssue[]): LoadResult {
  const { issues, omittedErrors } = capIssues(all);
  return omittedErrors > 0 ? { issues, omittedErrors } : { issues };
}

/** The config file, at most `limit` bytes (readSmallFile: also `-c /dev/stdin` and `-c <(…)`). */
export function readConfigFile(file: string, limit: number): { text: string } | { issue: ConfigIssue } {
  const read = readSmallFile(file, limit, { streams: true });
  if ('text' in read) return { text: read.text };
  if ('code' in read) return { issue: unreadable(file, read.code) };
  if (read.problem === 'too-large') return { issue: tooLarge(file, read.size, limit) };
  return { issue: unreadable(file, 'EISDIR') };
}

function unreadable(file: string, code: string | undefined): ConfigIssue {
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? 'unreadable');
  return { file, line: 1, col: 1, message: `cannot read config file (${why})`, severity: 'error' };
}

export function loadConfig(file: string, options: LoadOptions = {}): LoadResult {
  const env = options.env ?? process.env;
  let text = options.text;
  if (text === undefined) {
    const limit = maxConfigBytes(env);
    if (typeof limit !== 'number') return { issues: [{ file, line: 1, col: 1, message: limit.error, severity: 'error' }] };
    const read = readConfigFile(file, limit);
    if ('issue' in read) return { issues: [read.issue] };
    text = read.text;
  }
  return loadConfigText(file, text, env, options);
}

export type CheckResult = { ok: true; text: string } | { ok: false; issues: ConfigIssue[]; omittedErrors: number };

/**
 * The whole load as a check, with an answer that can cross threads: the text
 * that proved valid, or the listed errors. check-thread.ts runs this off the event loop.
 */
export function checkConfig(file: string, options: LoadOptions = {}): CheckResult {
  const env = options.env ?? process.env;
  let text = options.text;
  if (text === undefined) {
    const limit = maxConfigBytes(env);
    if (typeof limit !== 'number') return { ok: false, issues: [{ file, line: 1, col: 1, message: limit.error, severity: 'error' }], omittedErrors: 0 };
    const read = readConfigFile(file, limit);
    if ('issue' in read) return { ok: false, issues: [read.issue], omittedErrors: 0 };
    text = read.text;
  }
  const result = loadConfigText(file, text, env, options);
  return result.config ? { ok: true, text } : { ok: false, issues: result.issues, omittedErrors: result.omittedErrors ?? 0 };
}

/** loadConfig, throwing a ConfigError (with the listed issues and the count of the rest) when it fails. */
export function loadConfigOrThrow(file: string, options: LoadOptions = {}): Config {
  const result = loadConfig(file, options);
  if (!result.config) throw new ConfigError(result.issues, result.omittedErrors);
  return result.config;
}
