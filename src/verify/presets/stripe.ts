import { preset } from '../spec.js';

/** Stripe: Stripe-Signature `t=…,v1=…[,v1=…]`, HMAC-SHA256 of `t.body` with the endpoint's whsec_ secret used as is. */
export const stripe = preset({
  name: 'stripe',
  summary: 'Stripe-Signature t=,v1= (several v1 while a secret rolls): hex HMAC-SHA256 of "t.body", 5 min tolerance; topic type; id id',
  docs: 'https://docs.stripe.com/webhooks#verify-manually',
  hmac: {
    header: 'stripe-signature',
    // v0 (and any other item) is ignored; Stripe sends one v1 per active secret while one rolls.
    format: { pairs: ',', kv: '=', signature: 'v1', timestamp: 't' },
    algorithm: 'sha256',
    encoding: 'hex',
    // The whole "whsec_…" string is the HMAC key: it is not base64-decoded (unlike Standard Webhooks).
    secretEncoding: 'utf8',
    timestampFormat: 'seconds',
    tolerance: '5m',
    signed: '{timestamp}.{body}',
  },
  keys: ['secret', 'tolerance'],
  required: ['secret'],
  topic: { path: 'type' },
  // The event id (evt_…): the same on every retry of the event.
  id: { path: 'id' },
  vectors: 'test/verify/vectors/stripe.json',
});
