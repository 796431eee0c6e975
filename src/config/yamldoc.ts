// routes.yaml parsed with positions. Everything that reports a config error
// goes through here to turn a path in the data (or an offset in a scalar's
// value) into `line:col` in the file.
//
// Every lookup here runs once per reported problem, and a hostile file can
// have tens of thousands of them: lookups are indexed (a map's keys, a
// scalar's last mapped offset) so that reporting stays linear in the file.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Scalar, visit, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import type { ConfigIssue } from './issues.js';

export type PathSegment = string | number;

export class YamlFile {
  readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();
  /** Each mapping's entries by key text, built on first lookup (first entry wins, as a scan would find). */
  private readonly keyIndex = new WeakMap<YAMLMap, Map<string, Pair>>();
  /** Where the last valueOffsetToFile walk in a scalar stopped, so the next (later) offset resumes there. */
  private walk: { node: Scalar; value: string; valueIndex: number; p: number; budget: number } | undefined;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    // The library's own duplicate-key check compares each key with every
    // earlier one (quadratic: 20,000 keys took seconds); duplicateKeys() does it with a set.
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: false });
  }

  /** YAML syntax errors (tabs, unclosed quotes, duplicate keys…), positioned. */
  syntaxIssues(): ConfigIssue[] {
    const issues = this.doc.errors.map((e) => {
      // An unclosed quote is found at the end of the file; point at where it opens.
      const quote = /^Missing closing (["'])quote/.exec(e.message)?.[1];
      if (e.code === 'MISSING_CHAR' && quote) {
        const open = this.text.lastIndexOf(quote, Math.min(e.pos[0], this.text.length) - 1);
        if (open !== -1) return this.issueAtOffset(open, `unclosed ${quote === '"' ? 'double' : 'single'} quote: the string that starts here never ends`);
      }
      return this.issueAtOffset(e.pos[0], cleanYamlMessage(e.message));
    });
    for (const offset of this.duplicateKeys()) issues.push(this.issueAtOffset(offset, 'Map keys must be unique'));
    return issues;
  }

  /** Offsets of every key that repeats an earlier key of the same mapping (scalars compared by value, as YAML does). */
  private duplicateKeys(): number[] {
    const found: number[] = [];
    visit(this.doc, {
      Map: (_key, map) => {
        const seen = new Set<unknown>();
        for (const pair of map.items) {
          const k = isScalar(pair.key) ? pair.key.value : pair.key;
          if (seen.has(k) && isScalar(pair.key) && pair.key.range) found.push(pair.key.range[0]);
          seen.add(k);
        }
      },
    });
    return found;
  }

  private entries(map: YAMLMap): Map<string, Pair> {
    let index = this.keyIndex.get(map);
    if (!index) {
      index = new Map();
      for (const pair of map.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const k = String(pair.key.value);
        if (!index.has(k)) index.set(k, pair);
      }
      this.keyIndex.set(map, index);
    }
    return index;
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
        const pair = this.entries(cur).get(String(seg));
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
    const pair = this.entries(parent).get(String(last));
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
    const end = node.range[1];
    const target = Math.max(0, Math.min(valueOffset, value.length));
    let i = 0;
    let p = node.range[0];
    // A character the source does not hold (an escape like \u00e9) is looked
    // for up to the scalar's end each time: the budget keeps a value full of
    // them from costing length², at the price of a less exact column.
    let budget = 4 * (end - p) + 1024;
    const w = this.walk;
    // Problems in one scalar are reported left to right (every `${…}` of a long
    // value): resuming the last walk keeps that linear instead of quadratic.
    if (w && w.node === node && w.value === value && w.valueIndex <= target) {
      ({ valueIndex: i, p, budget } = w);
    } else if (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED) {
      const nl = this.text.indexOf('\n', p);
      p = nl === -1 || nl > end ? end : nl + 1;
    } else if (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) {
      p += 1;
    }
    const text = this.text;
    for (; i < target && budget > 0; i++) {
      const c = value[i]!;
      if (isSpace(c)) {
        if (p < end && isSpace(text[p]!)) p++;
        else if (text[p] === '\\') p += 2;
        continue;
      }
      let q = p;
      while (q < end && text[q] !== c) q++;
      budget -= q - p + 1;
      if (q < end) p = q + 1;
    }
    this.walk = { node, value, valueIndex: i, p, budget };
    // Land on the character itself rather than on the whitespace before it.
    const c = value[target];
    if (c !== undefined && !isSpace(c) && budget > 0) {
      let q = p;
      while (q < end && q - p < budget && text[q] !== c) q++;
      if (q < end && text[q] === c) p = q;
    }
    return Math.min(p, Math.max(end - 1, node.range[0]));
  }
}

const SPACE = /\s/;
function isSpace(c: string): boolean {
  return SPACE.test(c);
}

function cleanYamlMessage(message: string): string {
  // The yaml library appends " at line N, column M" (we print our own position).
  return message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
}
