import { preset } from '../spec.js';

/**
 * Okta event hooks: no signature. Okta sends the "Authentication secret" you typed, verbatim, in the
 * header you named as "Authentication field" (Authorization unless you chose another), so the secret
 * here is the whole header value (e.g. "Basic dXNlcjpwYXNz"). Events arrive batched in data.events.
 */
export const okta = preset({
  name: 'okta',
  summary: 'event hooks: the configured header (default Authorization) equals the secret; GET verification challenge; one event per data.events item; topic eventType; id uuid',
  docs: 'https://developer.okta.com/docs/concepts/event-hooks/',
  // The value is compared whole: no "Bearer " is assumed, as Okta sends what was typed.
  token: { header: 'authorization', prefix: '' },
  keys: ['secret', 'header', 'prefix'],
  required: ['secret'],
  handshake: [
    {
      doc: 'one-time verification: GET with X-Okta-Verification-Challenge → {"verification": <that value>}',
      when: '$method = "GET" and $exists($headers."x-okta-verification-challenge")',
      respond: {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
        body: '{ "verification": $headers."x-okta-verification-challenge" }',
      },
    },
  ],
  split: 'data.events',
  topic: { path: 'eventType' },
  id: { path: 'uuid' },
  vectors: 'test/verify/vectors/okta.json',
});
