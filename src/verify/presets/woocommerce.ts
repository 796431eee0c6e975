import { preset } from '../spec.js';

/** WooCommerce: X-WC-Webhook-Signature, base64 HMAC-SHA256 of the body; topic and delivery id in X-WC-Webhook-* headers. */
export const woocommerce = preset({
  name: 'woocommerce',
  summary: 'X-WC-Webhook-Signature: base64 HMAC-SHA256 of the body with the webhook secret; topic X-WC-Webhook-Topic; id X-WC-Webhook-Delivery-ID; unsigned ping answered 200',
  docs: 'https://woocommerce.com/document/webhooks/',
  hmac: {
    header: 'x-wc-webhook-signature',
    prefix: '',
    algorithm: 'sha256',
    encoding: 'base64',
    // WooCommerce keys the HMAC with the secret after HTML-entity decoding (wp_specialchars_decode): give it as typed.
    secretEncoding: 'utf8',
    signed: '{body}',
  },
  // algorithm: a site can change the hash with the woocommerce_webhook_hash_algorithm filter.
  keys: ['secret', 'algorithm'],
  required: ['secret'],
  // e.g. order.created, product.updated, action.woocommerce_…
  topic: { header: 'x-wc-webhook-topic' },
  // A fresh hash per delivery (X-WC-Webhook-ID is the webhook's own id, the same on every delivery).
  id: { header: 'x-wc-webhook-delivery-id' },
  handshake: [
    {
      doc: 'Saving a webhook sends an unsigned form POST "webhook_id=<n>"; WooCommerce leaves it pending unless the answer is exactly 200',
      unsigned: true,
      // Narrow: POST, no signature header, a form body of exactly one field, webhook_id, all digits.
      when: '$method = "POST" and $not($exists($headers.`x-wc-webhook-signature`)) and $count($keys($)) = 1 and $type(webhook_id) = "string" and $contains(webhook_id, /^[0-9]+$/)',
      respond: { status: 200, headers: { 'Content-Type': 'text/plain' }, body: '"ok"' },
    },
  ],
  vectors: 'test/verify/vectors/woocommerce.json',
});
