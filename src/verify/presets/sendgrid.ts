import { preset } from '../spec.js';

/**
 * SendGrid (Twilio SendGrid) signed Event Webhook: an ECDSA P-256 signature (base64, ASN.1 DER) over
 * the timestamp header followed by the raw body, checked with the verification key SendGrid shows
 * (base64 DER, SubjectPublicKeyInfo). The body is an array of events: each becomes its own event.
 */
export const sendgrid = preset({
  name: 'sendgrid',
  summary:
    'signed Event Webhook: ECDSA P-256 X-Twilio-Email-Event-Webhook-Signature (base64 DER) over X-Twilio-Email-Event-Webhook-Timestamp + body, 5 min; one event per array element; topic event; id sg_event_id',
  docs: 'https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features',
  signature: {
    algorithm: 'ecdsa-p256-sha256',
    header: 'x-twilio-email-event-webhook-signature',
    prefix: '',
    encoding: 'base64',
    timestampHeader: 'x-twilio-email-event-webhook-timestamp',
    timestampFormat: 'seconds',
    // SendGrid documents no window; its SDKs check none. 5 min as for other signed timestamps.
    tolerance: '5m',
    signed: '{timestamp}{body}',
  },
  keys: ['publicKey', 'tolerance'],
  required: ['publicKey'],
  split: '$',
  topic: { path: 'event' },
  id: { path: 'sg_event_id' },
  vectors: 'test/verify/vectors/sendgrid.json',
});
