// Turns a scheme's declaration (spec.ts) into what the server runs: its
// verify and sign functions by engine, and its topic and id rules.
import { plainExpr, type Expr } from '../lib/jsonata.js';
import { cannotSign, signHmac, verifyBasic, verifyHmac, verifyPublicKey, verifyToken } from './engine.js';
import type { Extract, PresetSpec } from './spec.js';
import { OK, text, type EventView, type Scheme } from './types.js';
import { errorMessage } from '../lib/errors.js';

export function engineOf(spec: PresetSpec): Scheme['engine'] {
  const engines = (['hmac', 'signature', 'token', 'basic', 'none'] as const).filter((e) => spec[e] !== undefined);
  if (spec.verify) return 'custom';
  if (engines.length !== 1) throw new Error(`scheme ${spec.name}: declare exactly one engine (hmac, signature, token, basic, none) or a verify function`);
  return engines[0]!;
}

const DEFAULT_REQUIRED: Record<Scheme['engine'], readonly string[]> = {
  hmac: ['secret'],
  signature: ['publicKey'],
  token: ['secret'],
  basic: ['username', 'password'],
  none: [],
  custom: ['secret'],
};

function scalarText(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** `$json(text)`: a JSON text's value (undefined when it is not JSON) — unlike `$eval`, it runs nothing. */
function parseJsonText(text: unknown): unknown {
  if (typeof text !== 'string' || text.length > 1_000_000) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A topic or id rule as a function of the event. */
export function extractor(x: Extract, what: string, scheme: string): (e: EventView) => string | undefined | Promise<string | undefined> {
  if (x.get) return x.get;
  if (x.path !== undefined) {
    const path = x.path;
    return (e) => text(e.payload, path);
  }
  if (x.header !== undefined) {
    const name = x.header.toLowerCase();
    return (e) => e.headers[name] || undefined;
  }
  if (x.expr !== undefined) {
    let compiled: Expr;
    try {
      // With the same time, depth and size limits as every user expression.
      compiled = plainExpr(x.expr);
    } catch (err) {
      throw new Error(`scheme ${scheme}: ${what} expression does not compile: ${errorMessage(err)}`);
    }
    return async (e) => {
      try {
        return scalarText(await compiled.evaluate(e.payload, { headers: e.headers, query: e.query, json: parseJsonText } as never));
      } catch {
        return undefined;
      }
    };
  }
  throw new Error(`scheme ${scheme}: ${what} needs one of path, header, expr or get`);
}

/** How a topic or id rule reads, for the docs. */
export function extractDoc(x: Extract | undefined): string | undefined {
  if (!x) return undefined;
  if (x.doc) return x.doc;
  if (x.path !== undefined) return `\`${x.path}\``;
  if (x.header !== undefined) return `\`${x.header}\` header`;
  if (x.expr !== undefined) return `\`${x.expr}\``;
  return undefined;
}

export function resolve(spec: PresetSpec): Scheme {
  const engine = engineOf(spec);
  const engineVerify = spec.verify ?? (engine === 'hmac' ? verifyHmac : engine === 'signature' ? verifyPublicKey : engine === 'token' ? verifyToken : engine === 'basic' ? verifyBasic : () => OK);
  const adapt = spec.adapt;
  const verify: Scheme['verify'] = adapt ? (req, s) => engineVerify(adapt(req), s) : engineVerify;
  const idHeader = spec.id?.header;
  const baseSign =
    spec.sign ??
    (engine === 'hmac'
      ? signHmac
      : engine === 'token'
        ? (_b: Buffer, s: Parameters<typeof signHmac>[1]) => ({ [s.token!.header]: `${s.token!.prefix}${s.secrets[0]!}` })
        : engine === 'basic'
          ? (_b: Buffer, s: Parameters<typeof signHmac>[1]) => ({ Authorization: `Basic ${Buffer.from(`${s.username!}:${s.password!}`).toString('base64')}` })
          : engine === 'none'
            ? () => ({})
            : undefined);
  const topic = spec.topic ? extractor(spec.topic, 'topic', spec.name) : undefined;
  const id = spec.id ? extractor(spec.id, 'id', spec.name) : undefined;
  return {
    name: spec.name,
    summary: spec.summary,
    spec,
    engine,
    keys: spec.keys ?? DEFAULT_REQUIRED[engine],
    required: spec.required ?? DEFAULT_REQUIRED[engine],
    verify,
    ...(topic ? { topic } : {}),
    ...(id ? { id } : {}),
    ...(spec.warning ? { warning: spec.warning } : {}),
    ...(spec.accepted ? { accepted: () => spec.accepted! } : {}),
    ...(baseSign
      ? {
          sign: (body, s, ctx) => {
            // A provider that names its deliveries in a header gets a fresh one, as it would send.
            const out = baseSign(body, s, ctx);
            return idHeader && !Object.keys(out).some((k) => k.toLowerCase() === idHeader.toLowerCase()) ? { [idHeader]: ctx.id, ...out } : out;
          },
        }
      : {}),
  };
}

/** Why `switchboard send` cannot sign for a source, or undefined. */
export function signProblem(scheme: Scheme, settings: Parameters<typeof cannotSign>[0]): string | undefined {
  if (!scheme.sign)
    return scheme.engine === 'signature' ? "its signatures are made with the sender's private key, which the config does not hold (it has the public key)" : 'this scheme has no signer';
  return scheme.engine === 'hmac' ? cannotSign(settings) : undefined;
}
