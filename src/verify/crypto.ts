// Signature primitives shared by the schemes. Every comparison of a secret or
// a signature is constant-time.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { OK, reject, type SignedRequest, type Verdict } from './types.js';

export type Algorithm = 'sha1' | 'sha256' | 'sha512';
export type Encoding = 'hex' | 'base64';

export function hmac(algorithm: Algorithm, key: string | Buffer, ...parts: (string | Buffer)[]): Buffer {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** Equal-length buffers compared in constant time; different lengths are simply unequal. */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

/** Compares two secrets without leaking their length or content through timing. */
export function safeEqualText(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Strictly decodes a signature; undefined when it is not valid in that encoding. */
export function decode(text: string, encoding: Encoding): Buffer | undefined {
  const t = text.trim();
  if (encoding === 'hex') return /^(?:[0-9a-fA-F]{2})+$/.test(t) ? Buffer.from(t, 'hex') : undefined;
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) return undefined;
  const standard = t.replace(/-/g, '+').replace(/_/g, '/');
  const b = Buffer.from(standard, 'base64');
  // Only the canonical spelling: base64's last symbol has spare bits, and a
  // signature with them changed must not pass as the same signature.
  if (b.length === 0 || b.toString('base64').replace(/=+$/, '') !== standard.replace(/=+$/, '')) return undefined;
  return b;
}

export interface HmacHeaderSpec {
  header: string;
  prefix: string;
  algorithm: Algorithm;
  encoding: Encoding;
  /** The signed bytes. */
  message: (req: SignedRequest) => (string | Buffer)[];
}

/** The common shape: one header holding `<prefix><encoded HMAC of the message>`. */
export function verifyHmacHeader(req: SignedRequest, secrets: readonly string[], spec: HmacHeaderSpec): Verdict {
  const value = req.headers[spec.header.toLowerCase()];
  if (value === undefined || value === '') return reject('missing signature');
  if (spec.prefix && !value.toLowerCase().startsWith(spec.prefix.toLowerCase())) return reject('malformed signature');
  const given = decode(value.slice(spec.prefix.length), spec.encoding);
  if (!given) return reject('malformed signature');
  const message = spec.message(req);
  let ok = false;
  for (const secret of secrets) if (safeEqual(hmac(spec.algorithm, secret, ...message), given)) ok = true;
  return ok ? OK : reject('signature mismatch');
}
