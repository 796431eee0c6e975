import { hmac, verifyHmacHeader } from './crypto.js';
import type { Scheme } from './types.js';

/** Shopify: X-Shopify-Hmac-Sha256, base64 HMAC-SHA256 of the body; topic X-Shopify-Topic. */
export const shopify: Scheme = {
  name: 'shopify',
  summary: 'X-Shopify-Hmac-Sha256 base64 HMAC-SHA256; topic X-Shopify-Topic; id X-Shopify-Webhook-Id',
  required: ['secret'],
  optional: [],
  verify: (req, s) =>
    verifyHmacHeader(req, s.secrets, {
      header: 'x-shopify-hmac-sha256',
      prefix: '',
      algorithm: 'sha256',
      encoding: 'base64',
      message: (r) => [r.rawBody],
    }),
  sign: (body, s, ctx) => ({ 'X-Shopify-Hmac-Sha256': hmac('sha256', s.secrets[0]!, body).toString('base64'), 'X-Shopify-Webhook-Id': ctx.id }),
  topic: (e) => e.headers['x-shopify-topic'] || undefined,
  id: (e) => e.headers['x-shopify-webhook-id'] || undefined,
};
