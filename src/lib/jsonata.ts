// JSONata as Switchboard runs it: compiled once per text and shared, with
// limits on evaluation time, depth and size. config/ compiles the user's
// expressions through it; verify/ a preset's own rules.
import jsonata from 'jsonata';

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

/**
 * Limits so one runaway transform cannot stall the worker or exhaust memory:
 * evaluation time, recursion depth and sequence length.
 */
// JSONata runs on the event loop, so the time limit is also how long one bad
// transform can hold up everything else: kept short.
const LIMITS = { timeout: 1000, stack: 500, sequence: 100_000 };

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

/** Compiles `text` (shared, limited); a syntax error is thrown as JSONata reports it (message, position, token). */
export function plainExpr(text: string): Expr {
  const compiled = compileShared(text);
  return { text, evaluate: (input, bindings) => compiled.evaluate(input, bindings as Record<string, unknown>) };
}
