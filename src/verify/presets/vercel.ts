import { preset } from '../spec.js';

/** Vercel: x-vercel-signature, hex HMAC-SHA1 of the body; https://vercel.com/docs/webhooks/webhooks-api#securing-webhooks */
export const vercel = preset({
  name: 'vercel',
  summary: "x-vercel-signature: hex HMAC-SHA1 of the body, keyed with the webhook secret (or the integration's Client Secret)",
  docs: 'https://vercel.com/docs/webhooks/webhooks-api#securing-webhooks',
  hmac: { header: 'x-vercel-signature', prefix: '', algorithm: 'sha1', encoding: 'hex', secretEncoding: 'utf8', signed: '{body}' },
  keys: ['secret'],
  required: ['secret'],
  topic: { path: 'type' },
  // The payload's id is the ID of the webhook delivery.
  id: { path: 'id' },
  vectors: 'test/verify/vectors/vercel.json',
});
