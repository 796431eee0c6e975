// routes.yaml parsed with positions. Everything that reports a config error
// goes through here to turn a path in the data (or an offset in a scalar's
// value) into `line:col` in the file.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Scalar, type Document, type Node } from 'yaml';
import type { ConfigIssue } from './issues.js';

export type PathSegment = string | number;

export class YamlFile {
  readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
  }

  /** YAML syntax errors (tabs, unclosed quotes, duplicate keys…), positioned. */
  syntaxIssues(): ConfigIssue[] {
    return this.doc.errors.map((e) => {
      // An unclosed quote is found at the end of the file; point at where it opens.
      const quote = /^Missing closing (["'])quote/.exec(e.message)?.[1];
      if (e.code === 'MISSING_CHAR' && quote) {
        const open = this.text.lastIndexOf(quote, Math.min(e.pos[0], this.text.length) - 1);
        if (open !== -1) return this.issueAtOffset(open, `unclosed ${quote === '"' ? 'double' : 'single'} quote: the string that starts here never ends`);
      }
      return this.issueAtOffset(e.pos[0], cleanYamlMessage(e.message));
    });
  }

  position(offset: number): { line: number; col: number } {
    const p = this.lines.linePos(Math.max(0, Math.min(offset, this.text.length)));
    return { line: p.line, col: p.col };
  }

  issueAtOffset(offset: number, message: string, severity: ConfigIssue['severity'] = 'error'): ConfigIssue {
    return { file: this.file, ...this.position(offset), message, severity };
  }

  issueAt(path: readonly PathSegment[], message: string, opts: { key?: boolean; severity?: ConfigIssue['severity'] } = {}): ConfigIssue {
    return this.issueAtOffset(this.offsetOf(path, opts.key ?? false), message, opts.severity);
  }

  /** The node at `path`, or undefined when it is absent. */
  node(path: readonly PathSegment[]): Node | undefined {
    let cur: unknown = this.doc.contents;
    for (const seg of path) {
      if (isMap(cur)) {
        const pair = cur.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) return undefined;
        cur = pair.value;
      } else if (isSeq(cur)) {
        cur = cur.items[Number(seg)];
      } else return undefined;
    }
    return (cur ?? undefined) as Node | undefined;
  }

  /** The key node of the pair at `path` (a map entry), if there is one. */
  keyNode(path: readonly PathSegment[]): Node | undefined {
    if (path.length === 0) return undefined;
    const parent = this.node(path.slice(0, -1));
    const last = path[path.length - 1];
    if (!isMap(parent)) return undefined;
    const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(last));
    return (pair?.key ?? undefined) as Node | undefined;
  }

  /**
   * Where to point for `path`: its key (when asked, or when the value is empty),
   * else its value; falling back to the nearest ancestor that exists.
   */
  offsetOf(path: readonly PathSegment[], preferKey: boolean): number {
    for (let n = path.length; n >= 0; n--) {
      const sub = path.slice(0, n);
      const value = this.node(sub);
      const key = this.keyNode(sub);
      const exact = n === path.length;
      if ((preferKey || !exact || !value?.range) && key?.range) return key.range[0];
      if (value?.range) return value.range[0];
      if (key?.range) return key.range[0];
    }
    return 0;
  }

  /**
   * Maps an offset inside a string scalar's *value* to an offset in the file,
   * so an error inside a JSONata expression (even deep in a `|` block) points
   * at the right line and column. Walks the value and the source text side by
   * side: every non-space character of the value appears in order in the source;
   * indentation, quotes, folding and escapes are what gets skipped.
   */
  valueOffsetToFile(node: Node | undefined, valueOffset: number): number {
    if (!isScalar(node) || !node.range) return node?.range?.[0] ?? 0;
    const value = String(node.value ?? '');
    let p = node.range[0];
    const end = node.range[1];
    if (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED) {
      const nl = this.text.indexOf('\n', p);
      p = nl === -1 ? end : nl + 1;
    } else if (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) {
      p += 1;
    }
    const target = Math.max(0, Math.min(valueOffset, value.length));
    for (let i = 0; i < target; i++) {
      const c = value[i]!;
      if (/\s/.test(c)) {
        if (p < end && /\s/.test(this.text[p]!)) p++;
        else if (this.text[p] === '\\') p += 2;
        continue;
      }
      let q = p;
      while (q < end && this.text[q] !== c) q++;
      if (q < end) p = q + 1;
    }
    // Land on the character itself rather than on the whitespace before it.
    const c = value[target];
    if (c !== undefined && !/\s/.test(c)) {
      let q = p;
      while (q < end && this.text[q] !== c) q++;
      if (q < end) p = q;
    }
    return Math.min(p, Math.max(end - 1, node.range[0]));
  }
}

function cleanYamlMessage(message: string): string {
  // The yaml library appends " at line N, column M" (we print our own position).
  return message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
}
