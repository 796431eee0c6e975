import { preset } from '../spec.js';

/** Calendly: Calendly-Webhook-Signature `t=…,v1=…`, HMAC-SHA256 of `t.body` with the webhook signing key. */
export const calendly = preset({
  name: 'calendly',
  summary: 'Calendly-Webhook-Signature t=,v1=: hex HMAC-SHA256 of "t.body" with the webhook signing key, 3 min tolerance; topic event; no delivery id',
  docs: 'https://developer.calendly.com/api-docs/overview/webhooks/webhook-signatures',
  hmac: {
    header: 'calendly-webhook-signature',
    format: { pairs: ',', kv: '=', signature: 'v1', timestamp: 't' },
    algorithm: 'sha256',
    encoding: 'hex',
    secretEncoding: 'utf8',
    timestampFormat: 'seconds',
    // The replay window of Calendly's own verification example.
    tolerance: '3m',
    signed: '{timestamp}.{body}',
  },
  keys: ['secret', 'tolerance'],
  required: ['secret'],
  // invitee.created, invitee.canceled, invitee_no_show.created, routing_form_submission.created, …
  topic: { path: 'event' },
  // No id: Calendly sends no delivery or event id (payload.uri names the invitee, shared by its created and canceled events).
  vectors: 'test/verify/vectors/calendly.json',
});
