import { preset } from '../spec.js';

/**
 * HubSpot webhooks, signature v3: base64 HMAC-SHA256 with the app's client secret of
 * method + URL + body + X-HubSpot-Request-Timestamp (ms). The body is an array of events.
 */
export const hubspot = preset({
  name: 'hubspot',
  summary:
    'X-HubSpot-Signature-v3: base64 HMAC-SHA256 (client secret) of method + URL + body + X-HubSpot-Request-Timestamp (ms), 5 min; one event per array element; topic subscriptionType; id eventId',
  docs: 'https://developers.hubspot.com/docs/apps/legacy-apps/authentication/validating-requests',
  hmac: {
    header: 'x-hubspot-signature-v3',
    prefix: '',
    algorithm: 'sha256',
    encoding: 'base64',
    secretEncoding: 'utf8',
    timestampHeader: 'x-hubspot-request-timestamp',
    timestampFormat: 'ms',
    tolerance: '5m',
    signed: '{method}{url}{body}{timestamp}',
  },
  keys: ['secret', 'url', 'tolerance'],
  required: ['secret'],
  split: '$',
  topic: { path: 'subscriptionType' },
  id: { path: 'eventId', doc: '`eventId` (a number, as text)' },
  vectors: 'test/verify/vectors/hubspot.json',
});
