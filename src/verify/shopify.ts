import type { Scheme } from './types.js';

/** Shopify: X-Shopify-Hmac-Sha256, base64 HMAC-SHA256 of the body; topic X-Shopify-Topic. */
export const shopify: Scheme = {
  name: 'shopify',
  summary: 'X-Shopify-Hmac-Sha256 base64 HMAC-SHA256; topic X-Shopify-Topic; id X-Shopify-Webhook-Id',
  required: ['secret'],
  optional: [],
  topic: (e) => e.headers['x-shopify-topic'] || undefined,
  id: (e) => e.headers['x-shopify-webhook-id'] || undefined,
};
