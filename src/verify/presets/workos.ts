import { preset } from '../spec.js';

/**
 * WorkOS: WorkOS-Signature "t=<ms>, v1=<hex>" (a space after the comma), HMAC-SHA256 of
 * "<t>.<body>" with the endpoint's secret. The SDKs' default tolerance is 3 minutes.
 */
export const workos = preset({
  name: 'workos',
  summary: 'WorkOS-Signature "t=<ms>, v1=<hex>" HMAC-SHA256 of "t.body" with the endpoint secret, 3 min; topic event; id id',
  docs: 'https://workos.com/docs/events/data-syncing/webhooks',
  hmac: {
    header: 'workos-signature',
    format: { pairs: ',', kv: '=', signature: 'v1', timestamp: 't' },
    algorithm: 'sha256',
    encoding: 'hex',
    secretEncoding: 'utf8',
    timestampFormat: 'ms',
    tolerance: '3m',
    signed: '{timestamp}.{body}',
  },
  keys: ['secret', 'tolerance'],
  required: ['secret'],
  topic: { path: 'event' },
  id: { path: 'id' },
  vectors: 'test/verify/vectors/workos.json',
});
