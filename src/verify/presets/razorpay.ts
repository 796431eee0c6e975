import { preset } from '../spec.js';

/** Razorpay: X-Razorpay-Signature, hex HMAC-SHA256 of the body with the webhook secret (not the API key secret). */
export const razorpay = preset({
  name: 'razorpay',
  summary: 'X-Razorpay-Signature: hex HMAC-SHA256 of the body with the webhook secret; topic event; id X-Razorpay-Event-Id',
  docs: 'https://razorpay.com/docs/webhooks/validate-test/',
  hmac: {
    header: 'x-razorpay-signature',
    prefix: '',
    algorithm: 'sha256',
    encoding: 'hex',
    secretEncoding: 'utf8',
    signed: '{body}',
  },
  keys: ['secret'],
  required: ['secret'],
  topic: { path: 'event' },
  // Unique per event, the same on retries; the body carries no event id.
  id: { header: 'x-razorpay-event-id' },
  vectors: 'test/verify/vectors/razorpay.json',
});
