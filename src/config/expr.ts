// JSONata expressions and `{{ }}` templates, compiled once at load. A syntax
// error becomes a config issue positioned at the offending token in the YAML file.
import jsonata from 'jsonata';
import type { Node } from 'yaml';
import type { ConfigIssue } from './issues.js';
import type { YamlFile } from './yamldoc.js';

/** Variables bound inside every expression (SPEC §2). */
export interface Bindings {
  headers: Readonly<Record<string, string>>;
  query: Readonly<Record<string, string>>;
  topic: string;
  source: string;
  eventId: string;
  receivedAt: string;
}

export interface Expr {
  readonly text: string;
  evaluate(input: unknown, bindings: Partial<Bindings>): Promise<unknown>;
}

export interface Template {
  readonly text: string;
  /** True when there is no `{{ }}` in it. */
  readonly isStatic: boolean;
  render(input: unknown, bindings: Partial<Bindings>, mode: 'url' | 'header'): Promise<string>;
}

/**
 * Limits so one runaway transform cannot stall the worker or exhaust memory:
 * evaluation time, recursion depth and sequence length.
 */
// JSONata runs on the event loop, so the time limit is also how long one bad
// transform can hold up everything else: kept short.
const LIMITS = { timeout: 1000, stack: 500, sequence: 100_000 };

interface JsonataSyntaxError {
  message: string;
  position?: number;
  token?: unknown;
  code?: string;
}

export type CompileResult<T> = { ok: true; value: T } | { ok: false; issue: ConfigIssue };

/**
 * Compiled expressions shared by text: routes with the same transform, and the
 * routes a reload leaves unchanged, reuse one compiled JSONata instead of
 * compiling (and holding) it again. Entries are weak: an expression no live
 * config uses any more is collected, and its entry with it. Sharing is safe:
 * evaluation keeps no state in the compiled expression (jsonata ≥ 2.2.2).
 */
const compiledByText = new Map<string, WeakRef<jsonata.Expression>>();
const forget = new FinalizationRegistry<string>((text) => {
  if (compiledByText.get(text)?.deref() === undefined) compiledByText.delete(text);
});

function compileShared(text: string): jsonata.Expression {
  const cached = compiledByText.get(text)?.deref();
  if (cached) return cached;
  const compiled = jsonata(text, LIMITS);
  compiledByText.set(text, new WeakRef(compiled));
  forget.register(compiled, text);
  return compiled;
}

/**
 * Compiles `text`, which sits at `valueOffset` inside the string value of
 * `node`. `label` names the place for the message (`routes[0].transform`).
 */
export function compileExpr(yaml: YamlFile, node: Node | undefined, label: string, text: string, valueOffset = 0): CompileResult<Expr> {
  try {
    const compiled = compileShared(text);
    return {
      ok: true,
      value: {
        text,
        evaluate: (input, bindings) => compiled.evaluate(input, bindings as Record<string, unknown>),
      },
    };
  } catch (err) {
    const e = err as JsonataSyntaxError;
    const at = errorOffset(text, e);
    const offset = yaml.valueOffsetToFile(node, valueOffset + at);
    const message = `${label}: JSONata syntax error: ${cleanMessage(e.message)}`;
    return { ok: false, issue: yaml.issueAtOffset(offset, message) };
  }
}

/** JSONata reports the offset just past the bad token; point at the token itself. */
function errorOffset(text: string, e: JsonataSyntaxError): number {
  if (typeof e.position !== 'number') return 0;
  const token = typeof e.token === 'string' && e.token !== '(end)' ? e.token : '';
  const start = e.position - (token.length || 1);
  // At "(end)", point at the last non-space character: the expression stops too early.
  if (!token && e.position >= text.trimEnd().length) return Math.max(0, text.trimEnd().length - 1);
  return Math.max(0, Math.min(start, text.length - 1));
}

function cleanMessage(message: string): string {
  return message.replace(/\s+/g, ' ').trim();
}

const TEMPLATE_RE = /\{\{([\s\S]*?)\}\}/g;

export function compileTemplate(yaml: YamlFile, node: Node | undefined, label: string, text: string): CompileResult<Template> {
  const parts: (string | { expr: Expr; encode: boolean })[] = [];
  let last = 0;
  for (const m of text.matchAll(TEMPLATE_RE)) {
    const start = m.index;
    const literal = text.slice(last, start);
    if (literal) parts.push(literal);
    const inner = m[1]!;
    if (inner.trim() === '') {
      return { ok: false, issue: yaml.issueAtOffset(yaml.valueOffsetToFile(node, start), `${label}: empty {{ }} template`) };
    }
    const compiled = compileExpr(yaml, node, label, inner, start + 2);
    if (!compiled.ok) return compiled;
    // Values placed in a URL's path or query are percent-encoded; a value that
    // forms the start of the URL (its scheme and host) is inserted as it is.
    const before = text.slice(0, start);
    parts.push({ expr: compiled.value, encode: /:\/\/[^/]*\//.test(before) });
    last = start + m[0].length;
  }
  const tail = text.slice(last);
  if (tail) parts.push(tail);
  const isStatic = parts.every((p) => typeof p === 'string');
  return {
    ok: true,
    value: {
      text,
      isStatic,
      async render(input, bindings, mode) {
        let out = '';
        for (const part of parts) {
          if (typeof part === 'string') {
            out += part;
            continue;
          }
          const value = await part.expr.evaluate(input, bindings);
          const str = stringify(value);
          if (mode === 'url') out += part.encode ? encodeURIComponent(str) : str;
          else out += str.replace(/[\r\n]+/g, ' '); // no header injection
        }
        return out;
      },
    },
  };
}

function stringify(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
