import { checkTimestamp, decode, hmac, safeEqual } from './crypto.js';
import { OK, reject, text, type Scheme } from './types.js';

/** The HMAC key is the secret's base64 payload, decoded (`whsec_` prefix optional). */
function key(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

/** Standard Webhooks (and Svix): webhook-signature `v1,<base64>` of `id.ts.body`, `whsec_` secret. */
export const standardWebhooks: Scheme = {
  name: 'standard-webhooks',
  summary: 'webhook-signature v1, base64 HMAC-SHA256 of "id.ts.body", whsec_ secret; topic type; id webhook-id',
  required: ['secret'],
  optional: ['tolerance'],
  verify: (req, s) => {
    const h = (name: string) => req.headers[`webhook-${name}`] ?? req.headers[`svix-${name}`];
    const header = h('signature');
    if (!header) return reject('missing signature');
    const id = h('id');
    const ts = h('timestamp');
    if (!id) return reject('malformed signature');
    const fresh = checkTimestamp(ts, req.now, s.toleranceMs);
    if (!fresh.ok) return fresh;
    // Space-separated `v1,<base64>` entries: several while the sender rotates its secret.
    const given = header
      .split(' ')
      .filter((part) => part.startsWith('v1,'))
      .map((part) => decode(part.slice(3), 'base64'))
      .filter((b): b is Buffer => b !== undefined);
    if (given.length === 0) return reject('malformed signature');
    let ok = false;
    for (const secret of s.secrets) {
      const expected = hmac('sha256', key(secret), `${id}.${ts}.`, req.rawBody);
      for (const sig of given) if (safeEqual(expected, sig)) ok = true;
    }
    return ok ? OK : reject('signature mismatch');
  },
  sign: (body, s, ctx) => {
    const ts = String(Math.floor(ctx.now / 1000));
    const sig = hmac('sha256', key(s.secrets[0]!), `${ctx.id}.${ts}.`, body).toString('base64');
    return { 'webhook-id': ctx.id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${sig}` };
  },
  topic: (e) => text(e.payload, 'type'),
  // The secret is base64 (Svix and others prefix it with `whsec_`); the key is its decoded bytes.
  checkSecret: (secret) => {
    const b64 = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
    return /^[A-Za-z0-9+/]+={0,2}$/.test(b64) && b64.length >= 16 ? undefined : 'a Standard Webhooks secret is base64, usually with a whsec_ prefix (e.g. whsec_ZmFrZS1zZWNyZXQtZm9yLWRvY3M=)';
  },
  id: (e) => e.headers['webhook-id'] || e.headers['svix-id'] || undefined,
};
