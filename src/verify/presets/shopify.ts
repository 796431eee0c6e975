import { preset } from '../spec.js';

/** Shopify: the app's client secret signs the raw body; topic and delivery id travel in headers. */
export const shopify = preset({
  name: 'shopify',
  summary: 'X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of the body with the app client secret; topic X-Shopify-Topic; id X-Shopify-Webhook-Id',
  docs: 'https://shopify.dev/docs/apps/build/webhooks/subscribe/https',
  hmac: {
    header: 'x-shopify-hmac-sha256',
    prefix: '',
    algorithm: 'sha256',
    encoding: 'base64',
    secretEncoding: 'utf8',
    signed: '{body}',
  },
  keys: ['secret'],
  required: ['secret'],
  topic: { header: 'x-shopify-topic' },
  // Unique per delivery and kept across retries; X-Shopify-Event-Id is shared by every subscription an action triggers.
  id: { header: 'x-shopify-webhook-id' },
  vectors: 'test/verify/vectors/shopify.json',
});
