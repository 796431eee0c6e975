// What every section's compiler shares: the issues found so far, the secrets
// collected (every credential is masked wherever it shows), which parts the
// schema already reported (not compiled further), and the helpers that compile
// an expression or a template and report at the right position.
import { WEAK_SECRET_LENGTH } from '../../observe/redact.js';
import { compileExpr, compileTemplate, type Expr, type Template } from '../expr.js';
import type { ConfigIssue } from '../issues.js';
import { parseDuration } from '../units.js';
import type { VerifyContext } from '../verify.js';
import type { PathSegment, YamlFile } from '../yamldoc.js';
import { label } from './raw.js';

export interface CompileContext {
  readonly yaml: YamlFile;
  readonly env: NodeJS.ProcessEnv;
  readonly issues: ConfigIssue[];
  /** Every value never to be shown. */
  readonly secrets: Set<string>;
  /** Whether the schema reported an error at `path` or inside it. */
  bad(path: readonly PathSegment[]): boolean;
  error(path: readonly PathSegment[], message: string, key?: boolean): void;
  warn(path: readonly PathSegment[], message: string, key?: boolean): void;
  /** A credential: masked wherever shown, and a warning (naming where, never what) when it is short. */
  credential(path: readonly PathSegment[], value: unknown, what?: string): void;
  expr(path: readonly PathSegment[], text: string): Expr | undefined;
  template(path: readonly PathSegment[], text: string): Template | undefined;
  /** A timeout setting in ms (a 0 is an error: every call would fail before it starts), else `fallback`. */
  timeout(at: PathSegment[], text: string | undefined, fallback: number): number;
  readonly verify: VerifyContext;
}

export function createContext(yaml: YamlFile, env: NodeJS.ProcessEnv, badPaths: readonly string[], secrets: ReadonlySet<string>): CompileContext {
  const issues: ConfigIssue[] = [];
  const collected = new Set(secrets);
  // Every prefix of every bad path: asking about a part is one lookup, where a
  // scan of all bad paths per route made a file with many errors quadratic.
  const badPrefixes = new Set<string>();
  for (const b of badPaths) {
    for (let i = b.indexOf('/', 1); i !== -1; i = b.indexOf('/', i + 1)) badPrefixes.add(b.slice(0, i));
    badPrefixes.add(b).add('');
  }
  const bad = (path: readonly PathSegment[]) => {
    const p = path.length ? `/${path.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}` : '';
    return badPrefixes.has(p);
  };
  const error = (path: readonly PathSegment[], message: string, key = false) => void issues.push(yaml.issueAt(path, message, { key }));
  const warn = (path: readonly PathSegment[], message: string, key = true) => void issues.push(yaml.issueAt(path, message, { key, severity: 'warning' }));
  // One shorter than WEAK_SECRET_LENGTH is easy to guess and can only be masked where it
  // stands as a whole word (or every "t" in the output would go), so it draws a warning.
  const credential = (path: readonly PathSegment[], value: unknown, what = label(path)) => {
    if (typeof value !== 'string' || value.length === 0) return;
    collected.add(value);
    if (value.length < WEAK_SECRET_LENGTH) {
      warn(path, `${what}: weak secret (shorter than ${WEAK_SECRET_LENGTH} characters): anyone can guess it; use a long random value outside of tests`, false);
    }
  };
  const expr = (path: readonly PathSegment[], text: string): Expr | undefined => {
    const r = compileExpr(yaml, yaml.node(path), label(path), text);
    if (r.ok) return r.value;
    issues.push(r.issue);
    return undefined;
  };
  const template = (path: readonly PathSegment[], text: string): Template | undefined => {
    const r = compileTemplate(yaml, yaml.node(path), label(path), text);
    if (r.ok) return r.value;
    issues.push(r.issue);
    return undefined;
  };
  const timeout = (at: PathSegment[], text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    const ms = parseDuration(text);
    if (ms === 0) error(at, `${label(at)}: a timeout must be longer than 0 (every call would fail before it starts)`);
    return ms || fallback;
  };
  return { yaml, env, issues, secrets: collected, bad, error, warn, credential, expr, template, timeout, verify: { error, warn, credential, expr, label } };
}
