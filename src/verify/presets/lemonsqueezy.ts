import { preset } from '../spec.js';

/** Lemon Squeezy: X-Signature, hex HMAC-SHA256 of the body with the webhook's signing secret. */
export const lemonsqueezy = preset({
  name: 'lemonsqueezy',
  summary: 'X-Signature: hex HMAC-SHA256 of the body with the signing secret; topic meta.event_name (also the X-Event-Name header); no delivery id',
  docs: 'https://docs.lemonsqueezy.com/help/webhooks/signing-requests',
  hmac: {
    header: 'x-signature',
    prefix: '',
    algorithm: 'sha256',
    encoding: 'hex',
    secretEncoding: 'utf8',
    signed: '{body}',
  },
  keys: ['secret'],
  required: ['secret'],
  // From the signed body rather than the X-Event-Name header (which carries the same name, unsigned).
  topic: { path: 'meta.event_name' },
  // No id: Lemon Squeezy sends no delivery or event id (meta.webhook_id names the webhook, not the delivery).
  vectors: 'test/verify/vectors/lemonsqueezy.json',
});
