import { preset } from '../spec.js';

/** Microsoft Teams outgoing webhooks: `Authorization: HMAC <base64>`, HMAC-SHA256 of the body keyed with the base64-decoded security token. */
export const teams = preset({
  name: 'teams',
  summary: 'Teams outgoing webhook: Authorization "HMAC <base64 HMAC-SHA256 of the body>", keyed with the security token (base64, as Teams shows it); topic activity type; id activity id',
  docs: 'https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-outgoing-webhook',
  hmac: {
    header: 'authorization',
    prefix: 'HMAC ',
    algorithm: 'sha256',
    encoding: 'base64',
    secretEncoding: 'base64',
    signed: '{body}',
  },
  keys: ['secret'],
  topic: { path: 'type' },
  id: { path: 'id' },
  // Teams shows the answer in the channel as the webhook's reply, and expects a message activity
  // (within 5 s); Switchboard's usual {"id": …} is not one. A source's own `respond` replaces this.
  accepted: { status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"type":"message","text":"Received."}' },
  vectors: 'test/verify/vectors/teams.json',
});
