import { checkTimestamp, hmac as mac, verifyHmacHeader } from './crypto.js';
import type { Scheme, SignedRequest } from './types.js';

/**
 * The signed text from the `signed` template: {body} is the raw body,
 * {timestamp} the timestamp header, {url} the URL called, {header:Name} any header.
 */
function message(template: string, timestampHeader: string | undefined, req: SignedRequest): (string | Buffer)[] {
  const parts: (string | Buffer)[] = [];
  let last = 0;
  for (const m of template.matchAll(/\{(body|timestamp|url|header:[^}]+)\}/g)) {
    parts.push(template.slice(last, m.index));
    const name = m[1]!;
    if (name === 'body') parts.push(req.rawBody);
    else if (name === 'timestamp') parts.push(req.headers[(timestampHeader ?? '').toLowerCase()] ?? '');
    else if (name === 'url') parts.push(req.url);
    else parts.push(req.headers[name.slice('header:'.length).toLowerCase()] ?? '');
    last = m.index + m[0].length;
  }
  parts.push(template.slice(last));
  return parts;
}

/** The generic HMAC scheme: every part (header, hash, encoding, prefix, timestamp, signed text) configurable. */
export const hmac: Scheme = {
  name: 'hmac',
  summary: 'generic HMAC: header, algorithm, encoding, prefix, optional timestampHeader and signed template',
  required: ['secret', 'header'],
  optional: ['algorithm', 'encoding', 'prefix', 'timestampHeader', 'signed', 'tolerance'],
  verify: (req, s) => {
    const spec = {
      header: s.header!,
      prefix: s.prefix ?? '',
      algorithm: s.algorithm,
      encoding: s.encoding,
      message: (r: SignedRequest) => message(s.signed, s.timestampHeader, r),
    };
    if (s.timestampHeader) {
      if (!req.headers[s.header!.toLowerCase()]) return verifyHmacHeader(req, s.secrets, spec);
      const fresh = checkTimestamp(req.headers[s.timestampHeader.toLowerCase()], req.now, s.toleranceMs);
      if (!fresh.ok) return fresh;
    }
    return verifyHmacHeader(req, s.secrets, spec);
  },
  sign: (body, s, ctx) => {
    const ts = String(Math.floor(ctx.now / 1000));
    const headers: Record<string, string> = s.timestampHeader ? { [s.timestampHeader]: ts } : {};
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    const req = { method: 'POST', url: ctx.url, headers: lower, query: {}, rawBody: body, now: ctx.now };
    const sig = mac(s.algorithm, s.secrets[0]!, ...message(s.signed, s.timestampHeader, req)).toString(s.encoding);
    return { ...headers, [s.header!]: `${s.prefix ?? ''}${sig}` };
  },
};
