import { checkTimestamp, decode, hmac, safeEqual } from './crypto.js';
import { OK, reject, text, type Scheme } from './types.js';

/** Stripe: Stripe-Signature `t=…,v1=…`, HMAC-SHA256 of `t.body`; topic `type`. */
export const stripe: Scheme = {
  name: 'stripe',
  summary: 'Stripe-Signature t=,v1= HMAC-SHA256 of "t.body", 5 min tolerance; topic type; id id',
  required: ['secret'],
  optional: ['tolerance'],
  // Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…] (several v1 while Stripe rolls a secret).
  verify: (req, s) => {
    const header = req.headers['stripe-signature'];
    if (!header) return reject('missing signature');
    let t: string | undefined;
    const v1: Buffer[] = [];
    for (const part of header.split(',')) {
      const eq = part.indexOf('=');
      const key = part.slice(0, eq).trim();
      const value = part.slice(eq + 1).trim();
      if (key === 't') t = value;
      else if (key === 'v1') {
        const sig = decode(value, 'hex');
        if (sig) v1.push(sig);
      }
    }
    if (t === undefined) return reject('missing timestamp');
    if (v1.length === 0) return reject('malformed signature');
    const fresh = checkTimestamp(t, req.now, s.toleranceMs);
    if (!fresh.ok) return fresh;
    let ok = false;
    for (const secret of s.secrets) {
      const expected = hmac('sha256', secret, `${t}.`, req.rawBody);
      for (const sig of v1) if (safeEqual(expected, sig)) ok = true;
    }
    return ok ? OK : reject('signature mismatch');
  },
  sign: (body, s, ctx) => {
    const t = Math.floor(ctx.now / 1000);
    return { 'Stripe-Signature': `t=${t},v1=${hmac('sha256', s.secrets[0]!, `${t}.`, body).toString('hex')}` };
  },
  topic: (e) => text(e.payload, 'type'),
  id: (e) => text(e.payload, 'id'),
};
