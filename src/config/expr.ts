// JSONata expressions and `{{ }}` templates, compiled once at load. A syntax
// error becomes a config issue positioned at the offending token in the YAML file.
import type { Node } from 'yaml';
import { plainExpr, type Bindings, type Expr } from '../lib/jsonata.js';
import type { ConfigIssue } from './issues.js';
import type { YamlFile } from './yamldoc.js';

// What a compiled expression is lives in lib/ (verify/ compiles its presets' rules with it too).
export type { Bindings, Expr };

export interface Template {
  readonly text: string;
  /** True when there is no `{{ }}` in it. */
  readonly isStatic: boolean;
  /** `url`: values encoded for where they stand; `header`: a line break refused; `text`: values as they are (the kind judges them). */
  render(input: unknown, bindings: Partial<Bindings>, mode: 'url' | 'header' | 'text'): Promise<string>;
}

interface JsonataSyntaxError {
  message: string;
  position?: number;
  token?: unknown;
  code?: string;
}

export type CompileResult<T> = { ok: true; value: T } | { ok: false; issue: ConfigIssue };

/** A template with no `{{ }}`: the text itself (a broker URL shown in attempts). */
export function staticTemplate(text: string): Template {
  return { text, isStatic: true, render: () => Promise.resolve(text) };
}

/**
 * Compiles `text`, which sits at `valueOffset` inside the string value of
 * `node`. `label` names the place for the message (`routes[0].transform`).
 */
export function compileExpr(yaml: YamlFile, node: Node | undefined, label: string, text: string, valueOffset = 0): CompileResult<Expr> {
  try {
    return { ok: true, value: plainExpr(text) };
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

// `{{{ expr }}}` (tried first) inserts a value as it is; `{{ expr }}` encodes it for where it stands.
const TEMPLATE_RE = /\{\{\{([\s\S]*?)\}\}\}|\{\{([\s\S]*?)\}\}/g;

/**
 * Where a `{{ }}` stands in a URL template, which decides how its value is
 * written: `start` (it gives the scheme and host itself, e.g. `{{ callback }}`:
 * inserted as it is, the egress rules judge the result), a host name, a port,
 * the user name or password, a path segment, a query value or the fragment.
 */
type UrlPosition = 'start' | 'userinfo' | 'host' | 'port' | 'path' | 'query' | 'fragment';

type Part = string | { readonly expr: Expr; readonly raw: boolean; readonly position: UrlPosition };

export function compileTemplate(yaml: YamlFile, node: Node | undefined, label: string, text: string): CompileResult<Template> {
  const parts: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(TEMPLATE_RE)) {
    const start = m.index;
    const literal = text.slice(last, start);
    if (literal) parts.push(literal);
    const raw = m[1] !== undefined;
    const inner = (raw ? m[1] : m[2])!;
    if (inner.trim() === '') {
      return { ok: false, issue: yaml.issueAtOffset(yaml.valueOffsetToFile(node, start), `${label}: empty ${raw ? '{{{ }}}' : '{{ }}'} template`) };
    }
    const compiled = compileExpr(yaml, node, label, inner, start + (raw ? 3 : 2));
    if (!compiled.ok) return compiled;
    parts.push({ expr: compiled.value, raw, position: 'start' });
    last = start + m[0].length;
  }
  const tail = text.slice(last);
  if (tail) parts.push(tail);
  placeInUrl(parts);
  const isStatic = parts.every((p) => typeof p === 'string');
  return {
    ok: true,
    value: {
      text,
      isStatic,
      async render(input, bindings, mode) {
        const out: string[] = [];
        const inPath: number[] = [];
        for (const part of parts) {
          if (typeof part === 'string') {
            out.push(part);
            continue;
          }
          const str = stringify(await part.expr.evaluate(input, bindings));
          if (mode === 'text') out.push(str);
          else if (mode === 'header') {
            // A line break would end the header and start another (or the body).
            if (/[\r\n\0]/.test(str)) throw new TemplateError(part, str, 'holds a line break or NUL, which a header value cannot');
            out.push(str);
          } else {
            if (part.position === 'path' && !part.raw) inPath.push(out.length);
            out.push(part.raw ? str : encodeFor(part, str));
          }
        }
        for (const i of inPath) checkSegment(out, i, parts);
        return out.join('');
      },
    },
  };
}

/** Decides each template's position from the literal text around it. */
function placeInUrl(parts: Part[]): void {
  let state: 'scheme' | 'authority' | 'path' | 'query' | 'fragment' = 'scheme';
  let authority = ''; // the authority's literal text so far
  parts.forEach((part, i) => {
    if (typeof part !== 'string') {
      let position: UrlPosition;
      if (state === 'scheme') position = 'start';
      else if (state === 'authority') position = userinfoFollows(parts, i) ? 'userinfo' : /:[^\]]*$/.test(authority.slice(authority.lastIndexOf('@') + 1)) ? 'port' : 'host';
      else position = state;
      parts[i] = { ...part, position };
      if (state === 'scheme') state = 'path'; // what follows a whole-URL value is taken as its path (or query)
      return;
    }
    let text = part;
    if (state === 'scheme') {
      const m = /^[^/?#]*?:\/\//.exec(text);
      if (m) {
        state = 'authority';
        text = text.slice(m[0].length);
      } else if (i === 0) {
        return; // not a URL yet (an error for the caller), or a scheme still to come
      }
    }
    for (const ch of text) {
      if (state === 'authority') {
        if (ch === '/') state = 'path';
        else if (ch === '?') state = 'query';
        else if (ch === '#') state = 'fragment';
        else authority += ch;
      } else if (state === 'path') {
        if (ch === '?') state = 'query';
        else if (ch === '#') state = 'fragment';
      } else if (state === 'query' && ch === '#') state = 'fragment';
    }
  });
}

/** True when an "@" ends the authority later on: then the template is in the user name or password. */
function userinfoFollows(parts: readonly Part[], i: number): boolean {
  for (const p of parts.slice(i + 1)) {
    if (typeof p !== 'string') continue;
    const end = p.search(/[/?#]/);
    if ((end === -1 ? p : p.slice(0, end)).includes('@')) return true;
    if (end !== -1) return false;
  }
  return false;
}

const HOST_LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/i;

function encodeFor(part: Exclude<Part, string>, value: string): string {
  switch (part.position) {
    case 'start':
      return value;
    case 'host': {
      const labels = value.replace(/\.$/, '').split('.');
      if (value === '' || !labels.every((l) => HOST_LABEL.test(l))) throw new TemplateError(part, value, 'is not a host name (letters, digits, "-", "_" and "." only)');
      return value;
    }
    case 'port':
      if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new TemplateError(part, value, 'is not a port number');
      return value;
    default:
      // Path segment, query value, fragment, user name: nothing in the value can start another part
      // ("/", "?", "#", "&", "=", "+", "@" are all encoded).
      try {
        return encodeURIComponent(value);
      } catch {
        throw new TemplateError(part, value, 'is not valid text (a lone UTF-16 surrogate)');
      }
  }
}

/**
 * A path value that makes up a whole "." or ".." segment would move the URL up
 * the path once parsed (WHATWG URLs treat %2e as a dot too), so it is refused.
 */
function checkSegment(out: readonly string[], i: number, parts: readonly Part[]): void {
  let before = '';
  for (let j = i - 1; j >= 0; j--) {
    const k = out[j]!.lastIndexOf('/');
    if (k !== -1) {
      before = out[j]!.slice(k + 1) + before;
      break;
    }
    before = out[j]! + before;
  }
  let after = '';
  for (let j = i + 1; j < out.length; j++) {
    const k = out[j]!.search(/[/?#]/);
    if (k !== -1) {
      after += out[j]!.slice(0, k);
      break;
    }
    after += out[j]!;
  }
  const segment = before + out[i]! + after;
  if (/^(?:\.|%2e){1,2}$/i.test(segment)) throw new TemplateError(parts[i] as Exclude<Part, string>, segment, 'would make a "." or ".." path segment');
}

class TemplateError extends Error {
  constructor(part: Exclude<Part, string>, value: string, problem: string) {
    const shown = value.length > 60 ? `${value.slice(0, 60)}…` : value;
    super(`{{ ${part.expr.text.trim()} }} gave ${JSON.stringify(shown)}, which ${problem}`);
  }
}

function stringify(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
