import { text, type Scheme } from './types.js';

/** Standard Webhooks (and Svix): webhook-signature `v1,<base64>` of `id.ts.body`, `whsec_` secret. */
export const standardWebhooks: Scheme = {
  name: 'standard-webhooks',
  summary: 'webhook-signature v1, base64 HMAC-SHA256 of "id.ts.body", whsec_ secret; topic type; id webhook-id',
  required: ['secret'],
  optional: ['tolerance'],
  topic: (e) => text(e.payload, 'type'),
  // The secret is base64 (Svix and others prefix it with `whsec_`); the key is its decoded bytes.
  checkSecret: (secret) => {
    const b64 = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
    return /^[A-Za-z0-9+/]+={0,2}$/.test(b64) && b64.length >= 16
      ? undefined
      : 'a Standard Webhooks secret is base64, usually with a whsec_ prefix (e.g. whsec_ZmFrZS1zZWNyZXQtZm9yLWRvY3M=)';
  },
  id: (e) => e.headers['webhook-id'] || e.headers['svix-id'] || undefined,
};
