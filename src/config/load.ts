// file → YAML (with positions) → ${env} → JSON Schema → compile. Each step
// collects every problem it can find; the result is a Config or the full list.
import { readFileSync } from 'node:fs';
import { compileConfig } from './compile.js';
import { interpolate } from './env.js';
import { ConfigError, sortIssues, type ConfigIssue } from './issues.js';
import { validateSchema } from './schema.js';
import type { Config } from './types.js';
import { YamlFile } from './yamldoc.js';

export interface LoadResult {
  config?: Config;
  /** Errors and warnings, sorted by position. With errors there is no config. */
  issues: ConfigIssue[];
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** The file's text, when already read (reload reads once, hashes and parses the same bytes). */
  text?: string;
}

export function loadConfigText(file: string, text: string, env: NodeJS.ProcessEnv = process.env): LoadResult {
  const yaml = new YamlFile(file, text);
  const syntax = yaml.syntaxIssues();
  // Past a syntax error the document's shape is a guess: report just those.
  if (syntax.length > 0) return { issues: sortIssues(syntax) };
  const env$ = interpolate(yaml, env);
  let data: unknown;
  try {
    data = yaml.doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { issues: [yaml.issueAtOffset(0, `cannot read the document: ${(err as Error).message}`)] };
  }
  if (data === null || data === undefined) {
    return { issues: [yaml.issueAtOffset(0, 'the file is empty: it needs at least "version: 1", "sources" and "routes"')] };
  }
  const schema = validateSchema(yaml, data);
  const compiled = compileConfig({ yaml, data, badPaths: schema.badPaths, secrets: env$.secrets, env });
  const issues = sortIssues([...env$.issues, ...schema.issues, ...compiled.issues]);
  const hasErrors = issues.some((i) => i.severity === 'error');
  return hasErrors || !compiled.config ? { issues } : { config: compiled.config, issues };
}

export function loadConfig(file: string, options: LoadOptions = {}): LoadResult {
  let text = options.text;
  if (text === undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? 'unreadable');
      return { issues: [{ file, line: 1, col: 1, message: `cannot read config file (${why})`, severity: 'error' }] };
    }
  }
  return loadConfigText(file, text, options.env ?? process.env);
}

/** loadConfig, throwing a ConfigError (with every issue) when it fails. */
export function loadConfigOrThrow(file: string, options: LoadOptions = {}): Config {
  const result = loadConfig(file, options);
  if (!result.config) throw new ConfigError(result.issues);
  return result.config;
}
