// sources: each one's path (unique, not one of Switchboard's own), verification,
// handshakes, batched bodies, topic and id expressions, and its answer.
import { compileHandshake, compileSplit, compileVerify, handshakeBindings, responseHeaderProblem } from '../verify.js';
import type { Config, Source } from '../types.js';
import { parseRate } from '../units.js';
import type { PathSegment } from '../yamldoc.js';
import type { CompileContext } from './context.js';
import { isObject, label, stringMap, type RawConfig } from './raw.js';

const RESERVED = ['/admin', '/healthz', '/readyz', '/metrics'];

export function compileSources(ctx: CompileContext, raw: RawConfig, server: Config['server']): Map<string, Source> {
  const { bad, error, expr } = ctx;
  const sources = new Map<string, Source>();
  const pathOwners = new Map<string, string>();
  for (const name of isObject(raw.sources) ? Object.keys(raw.sources) : []) {
    const at: PathSegment[] = ['sources', name];
    const s = raw.sources![name]!;
    if (!isObject(s)) continue;
    // Expressions are checked even when other keys are wrong, so one run reports everything.
    const topic = typeof s.topic === 'string' ? expr([...at, 'topic'], s.topic) : undefined;
    const id = typeof s.id === 'string' ? expr([...at, 'id'], s.id) : undefined;
    const respondBody = isObject(s.respond) && typeof s.respond.body === 'string' ? expr([...at, 'respond', 'body'], s.respond.body) : undefined;
    const verify = isObject(s.verify) && typeof s.verify.scheme === 'string' && !bad([...at, 'verify']) ? compileVerify([...at, 'verify'], s.verify, ctx.verify) : undefined;
    const handshake = !bad([...at, 'handshake']) ? compileHandshake([...at, 'handshake'], s.handshake, verify, ctx.verify) : undefined;
    const split = !bad([...at, 'split']) ? compileSplit([...at, 'split'], s.split, verify, ctx.verify) : undefined;
    if (bad(at)) continue;
    const path = s.path ?? `/${name}`;
    const full = `${server.basePath}${path}`;
    const reserved = RESERVED.find((r) => full === r || full.startsWith(`${r}/`));
    if (reserved) error(s.path ? [...at, 'path'] : at, `sources.${name}: ${full} is reserved for Switchboard's own ${reserved}; pick another path or basePath`, !s.path);
    const owner = pathOwners.get(path.replace(/\/+$/, '') || '/');
    if (owner) error(s.path ? [...at, 'path'] : at, `sources.${name}: path ${server.basePath}${path} is already used by source "${owner}"`, !s.path);
    else pathOwners.set(path.replace(/\/+$/, '') || '/', name);
    if (!verify || !handshake || split === false || (s.topic && !topic) || (s.id && !id) || (s.respond?.body && !respondBody)) continue;
    const respond = s.respond ? { status: s.respond.status ?? 200, headers: stringMap(s.respond.headers), ...(respondBody ? { body: respondBody } : {}) } : undefined;
    let respondOk = true;
    for (const [h, value] of Object.entries(respond?.headers ?? {})) {
      const problem = responseHeaderProblem(h, value);
      if (problem) {
        error([...at, 'respond', 'headers', h], `${label([...at, 'respond', 'headers', h])}: ${problem}`, true);
        respondOk = false;
      }
    }
    if (!respondOk) continue;
    sources.set(name, {
      name,
      path,
      verify,
      ...(topic ? { topic } : {}),
      ...(id ? { id } : {}),
      ...(s.rateLimit ? { rateLimit: parseRate(s.rateLimit) } : {}),
      ...(respond ? { respond } : {}),
      handshake,
      handshakeBindings: handshakeBindings(verify),
      ...(split ? { split } : {}),
    });
  }
  return sources;
}
