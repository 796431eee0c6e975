// "did you mean" hints for unknown keys, names and enum values.
//
// A hint compares one word with every candidate, so a file with thousands of
// unknown references to thousands of names would do millions of comparisons:
// the work is cut short when a candidate cannot be close enough (length, or a
// row of the table already past the allowance), and a whole load shares a
// budget of table cells, past which hints are simply left out.

/** Optimal-string-alignment distance: edits, with a swap of neighbours counting as one ("slakc" -> "slack"). */
export function editDistance(a: string, b: string): number {
  return boundedDistance(a, b, Infinity);
}

/** Table cells one load may spend on hints (some tens of ms); see withHintBudget. */
export const HINT_BUDGET_CELLS = 10_000_000;
/** What one comparison costs besides its cells (the call, lower-casing the candidate). */
const PER_CANDIDATE = 16;
let budget = Infinity;

/**
 * Runs `fn` with at most `cells` cells of edit-distance work for hints; past
 * that, hints are omitted. Synchronous, so nested or concurrent loads cannot mix budgets.
 */
export function withHintBudget<T>(fn: () => T, cells = HINT_BUDGET_CELLS): T {
  const saved = budget;
  budget = cells;
  try {
    return fn();
  } finally {
    budget = saved;
  }
}

// Three rolling rows, reused between calls: a hint costs no allocation, and a long word no more memory than its length.
let rows = [new Int32Array(64), new Int32Array(64), new Int32Array(64)];

/** The distance, or `max + 1` as soon as it is known to exceed `max`. */
function boundedDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (a.length === 0 || b.length === 0) return Math.max(a.length, b.length);
  if (rows[0]!.length <= b.length) rows = [new Int32Array(b.length + 1), new Int32Array(b.length + 1), new Int32Array(b.length + 1)];
  let [prev2, prev, cur] = rows as [Int32Array, Int32Array, Int32Array];
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    const ai = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const bj = b.charCodeAt(j - 1);
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (ai === bj ? 0 : 1));
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj) v = Math.min(v, prev2[j - 2]! + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[b.length]!;
}

/** The closest candidate, if it is close enough to be a plausible typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  const allowed = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = allowed + 1;
  for (const c of candidates) {
    if (Math.abs(c.length - word.length) > Math.min(allowed, bestDistance - 1)) continue;
    const cells = word.length * c.length + PER_CANDIDATE;
    if (budget < cells) return undefined;
    budget -= cells;
    const d = boundedDistance(lower, c.toLowerCase(), bestDistance - 1);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

export function hint(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c ? `; did you mean "${c}"?` : '';
}
