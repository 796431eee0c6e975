import { bodyHmac } from './crypto.js';
import type { Scheme } from './types.js';

const SIGNATURE = bodyHmac({ header: 'x-shopify-hmac-sha256', prefix: '', algorithm: 'sha256', encoding: 'base64' });

/** Shopify: X-Shopify-Hmac-Sha256, base64 HMAC-SHA256 of the body; topic X-Shopify-Topic. */
export const shopify: Scheme = {
  name: 'shopify',
  summary: 'X-Shopify-Hmac-Sha256 base64 HMAC-SHA256; topic X-Shopify-Topic; id X-Shopify-Webhook-Id',
  required: ['secret'],
  optional: [],
  verify: SIGNATURE.verify,
  sign: (body, s, ctx) => ({ ...SIGNATURE.signature(body, s), 'X-Shopify-Webhook-Id': ctx.id }),
  topic: (e) => e.headers['x-shopify-topic'] || undefined,
  id: (e) => e.headers['x-shopify-webhook-id'] || undefined,
};
