import { preset } from '../spec.js';

/**
 * PagerDuty V3 webhooks: X-PagerDuty-Signature holds one `v1=<hex HMAC-SHA256 of the body>` per
 * active signing secret, comma-separated (several while a secret is rotated); any one may match.
 */
export const pagerduty = preset({
  name: 'pagerduty',
  summary: 'V3 webhooks: X-PagerDuty-Signature "v1=<hex>[,v1=<hex>…]" HMAC-SHA256 of the body, any may match (rotation); no timestamp; topic event.event_type; id event.id',
  docs: 'https://developer.pagerduty.com/docs/ZG9jOjExMDI5NTkz-verifying-signatures',
  hmac: {
    header: 'x-pagerduty-signature',
    algorithm: 'sha256',
    encoding: 'hex',
    secretEncoding: 'utf8',
    format: { pairs: ',', kv: '=', signature: 'v1' },
    signed: '{body}',
  },
  keys: ['secret'],
  required: ['secret'],
  topic: { path: 'event.event_type' },
  id: { path: 'event.id' },
  vectors: 'test/verify/vectors/pagerduty.json',
});
