// Every target kind besides HTTP, by the name used in `kind:`. Adding one: a
// file beside this one exporting a TargetKind, one line here; `npm run docs`
// regenerates the schema's target keys and the README's kinds table.
import type { TargetKind } from './types.js';

export const KINDS: readonly TargetKind[] = [];

export const kinds: ReadonlyMap<string, TargetKind> = new Map(KINDS.map((k) => [k.name, k] as const));
