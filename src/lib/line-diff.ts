// A unified diff of two texts, line by line, for showing how a request would
// change (admin preview, `switchboard diff`). Common leading and trailing lines
// are set aside first — a changed request usually differs in a few lines — and
// the rest is aligned by a longest-common-subsequence table when that table is
// small; past that bound the middle is shown as removed then added, which is
// still a correct diff, only not the shortest. Bounded in time and output.

export interface DiffOptions {
  /** Unchanged lines shown around each change (default 3). */
  readonly context?: number;
  /** Most lines the diff may have; past it one line says how many were left out (default 200). */
  readonly maxLines?: number;
}

/** The LCS table's largest size (cells); 250,000 is a few milliseconds. */
const MAX_CELLS = 250_000;

type Op = { kind: ' ' | '-' | '+'; line: string; a: number; b: number };

/** `---`/`+++` headers, `@@` hunks, `-`/`+`/` ` lines; '' when the texts are equal. */
export function unifiedDiff(before: string, after: string, labels: { before: string; after: string }, options: DiffOptions = {}): string {
  if (before === after) return '';
  const context = options.context ?? 3;
  const maxLines = options.maxLines ?? 200;
  const ops = align(before.split('\n'), after.split('\n'));
  const out = [`--- ${labels.before}`, `+++ ${labels.after}`];
  for (const hunk of hunks(ops, context)) {
    const first = hunk[0]!;
    const aLen = hunk.filter((o) => o.kind !== '+').length;
    const bLen = hunk.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${first.a + (aLen ? 1 : 0)},${aLen} +${first.b + (bLen ? 1 : 0)},${bLen} @@`);
    for (const o of hunk) out.push(`${o.kind}${o.line}`);
  }
  if (out.length > maxLines) {
    const left = out.length - maxLines;
    out.length = maxLines;
    out.push(`… ${left} more line${left === 1 ? '' : 's'} of diff left out`);
  }
  return out.join('\n');
}

function align(a: readonly string[], b: readonly string[]): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const ops: Op[] = [];
  for (let i = 0; i < start; i++) ops.push({ kind: ' ', line: a[i]!, a: i, b: i });
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  if (midA.length * midB.length <= MAX_CELLS) ops.push(...lcsOps(midA, midB, start, start));
  else {
    midA.forEach((line, i) => ops.push({ kind: '-', line, a: start + i, b: start }));
    midB.forEach((line, j) => ops.push({ kind: '+', line, a: endA, b: start + j }));
  }
  for (let i = endA, j = endB; i < a.length; i++, j++) ops.push({ kind: ' ', line: a[i]!, a: i, b: j });
  return ops;
}

function lcsOps(a: readonly string[], b: readonly string[], offA: number, offB: number): Op[] {
  const n = a.length;
  const m = b.length;
  // lengths[i][j] = LCS of a[i..] and b[j..], in one flat array.
  const w = m + 1;
  const lengths = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i * w + j] = a[i] === b[j] ? lengths[(i + 1) * w + j + 1]! + 1 : Math.max(lengths[(i + 1) * w + j]!, lengths[i * w + j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ kind: ' ', line: a[i]!, a: offA + i, b: offB + j });
      i++;
      j++;
    } else if (j < m && (i === n || lengths[i * w + j + 1]! >= lengths[(i + 1) * w + j]!)) {
      ops.push({ kind: '+', line: b[j]!, a: offA + i, b: offB + j });
      j++;
    } else {
      ops.push({ kind: '-', line: a[i]!, a: offA + i, b: offB + j });
      i++;
    }
  }
  // Removals before additions within a run of changes, as diff tools print them.
  return reorderRuns(ops);
}

function reorderRuns(ops: Op[]): Op[] {
  const out: Op[] = [];
  let run: Op[] = [];
  const flush = () => {
    out.push(...run.filter((o) => o.kind === '-'), ...run.filter((o) => o.kind === '+'));
    run = [];
  };
  for (const o of ops) {
    if (o.kind === ' ') {
      flush();
      out.push(o);
    } else run.push(o);
  }
  flush();
  return out;
}

/** Runs of changes with `context` unchanged lines around them, merged when they touch. */
function hunks(ops: readonly Op[], context: number): Op[][] {
  const changed = ops.map((o, i) => (o.kind === ' ' ? -1 : i)).filter((i) => i >= 0);
  const out: Op[][] = [];
  let from = -1;
  let to = -1;
  for (const i of changed) {
    if (from >= 0 && i - context <= to + context + 1) to = i;
    else {
      if (from >= 0) out.push(ops.slice(Math.max(0, from - context), Math.min(ops.length, to + context + 1)));
      from = i;
      to = i;
    }
  }
  if (from >= 0) out.push(ops.slice(Math.max(0, from - context), Math.min(ops.length, to + context + 1)));
  return out;
}
