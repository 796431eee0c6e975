// `switchboard schemes [name]`: every verification scheme, or one with its settings and an example.
import { hint } from '../config/didyoumean.js';
import { schemeDetail, schemeList } from '../verify/docs.js';
import { schemes } from '../verify/registry.js';
import type { IO } from './io.js';

export function schemesCommand(name: string | undefined, io: IO): number {
  if (name === undefined) {
    for (const line of schemeList()) io.out(line);
    io.out('');
    io.out('switchboard schemes <name> shows one with its settings and an example.');
    return 0;
  }
  const scheme = schemes.get(name);
  if (!scheme) {
    io.err(`unknown scheme "${name}"${hint(name, schemes.keys())} (switchboard schemes lists them)`);
    return 1;
  }
  for (const line of schemeDetail(scheme)) io.out(line);
  return 0;
}
