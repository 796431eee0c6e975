// `switchboard validate`: exit 0 with a summary when the config is valid, else
// every error and exit 1. Three ways to print it: text (file:line:col lines),
// `--json` (one document), and `--format github` (workflow commands, which
// GitHub Actions shows as annotations on the YAML lines).
import { loadConfig } from '../config/load.js';
import type { ConfigIssue } from '../config/issues.js';
import { loadForCommand, paint, type IO } from './io.js';

export type ValidateFormat = 'text' | 'json' | 'github';

export function validateCommand(file: string, io: IO, format: ValidateFormat = 'text'): number {
  if (format === 'text') {
    const config = loadForCommand(file, io);
    if (!config) return 1;
    io.out(`${paint(io).green('✓')} ${file} is valid: ${summary(config)}`);
    return 0;
  }
  const result = loadConfig(file, { env: io.env });
  const errors = result.issues.filter((i) => i.severity === 'error');
  const warnings = result.issues.filter((i) => i.severity === 'warning');
  const omitted = result.omittedErrors ?? 0;
  if (format === 'json') {
    const c = result.config;
    io.out(
      JSON.stringify({
        file,
        valid: c !== undefined,
        errors: errors.map(issueJson),
        warnings: warnings.map(issueJson),
        ...(omitted ? { omittedErrors: omitted } : {}),
        ...(c ? { counts: { sources: c.sources.size, targets: c.targets.size, routes: c.routes.length, tests: c.tests.length }, version: c.hash } : {}),
      }),
    );
    return c ? 0 : 1;
  }
  for (const i of [...errors, ...warnings]) io.out(workflowCommand(i));
  if (omitted) io.out(`::error file=${property(file)},line=1,col=1::${data(`… and ${omitted} more errors (the first ${errors.length} are listed)`)}`);
  if (!result.config) {
    io.err(`${file}: ${errors.length + omitted} error${errors.length + omitted === 1 ? '' : 's'}`);
    return 1;
  }
  io.err(`${file} is valid: ${summary(result.config)}`);
  return 0;
}

function summary(config: NonNullable<ReturnType<typeof loadConfig>['config']>): string {
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const parts = [count(config.sources.size, 'source'), count(config.targets.size, 'target'), count(config.routes.length, 'route')];
  if (config.tests.length) parts.push(count(config.tests.length, 'test'));
  const warnings = config.warnings.length ? `, ${count(config.warnings.length, 'warning')}` : '';
  return `${parts.join(', ')}${warnings}`;
}

function issueJson(i: ConfigIssue) {
  return { file: i.file, line: i.line, col: i.col, message: i.message };
}

/** `::error file=…,line=…,col=…::message` (or `::warning`), escaped as the runner reads it. */
export function workflowCommand(i: ConfigIssue): string {
  return `::${i.severity === 'warning' ? 'warning' : 'error'} file=${property(i.file)},line=${i.line},col=${i.col}::${data(i.message)}`;
}

/** A message: %, CR and LF escaped (a message cannot end the command early or start another). */
function data(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value: also `:` and `,`, which separate properties. */
function property(s: string): string {
  return data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
