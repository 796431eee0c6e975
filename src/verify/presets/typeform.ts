import { preset } from '../spec.js';

/** Typeform: Typeform-Signature `sha256=<base64>`, HMAC-SHA256 of the body with the webhook's secret. */
export const typeform = preset({
  name: 'typeform',
  summary: 'Typeform-Signature: sha256= + base64 HMAC-SHA256 of the body with the webhook secret; topic event_type; id event_id',
  docs: 'https://www.typeform.com/developers/webhooks/secure-your-webhooks/',
  hmac: {
    header: 'typeform-signature',
    prefix: 'sha256=',
    algorithm: 'sha256',
    encoding: 'base64',
    secretEncoding: 'utf8',
    signed: '{body}',
  },
  keys: ['secret'],
  required: ['secret'],
  // form_response (form_response_partial for partial responses)
  topic: { path: 'event_type' },
  id: { path: 'event_id' },
  vectors: 'test/verify/vectors/typeform.json',
});
