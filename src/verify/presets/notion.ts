import { preset } from '../spec.js';

/**
 * Notion webhooks: every event is signed with the subscription's verification_token. That token reaches
 * you only once, in the subscription's first POST — unsigned, body {"verification_token": "secret_…"} —
 * and must be pasted into Notion's "Verify" dialog and set here as the secret.
 */
export const notion = preset({
  name: 'notion',
  summary: 'X-Notion-Signature: "sha256=" hex HMAC-SHA256 of the body with the verification_token; unsigned verification POST answered 200; topic type; id id',
  docs: 'https://developers.notion.com/reference/webhooks',
  hmac: {
    header: 'x-notion-signature',
    prefix: 'sha256=',
    algorithm: 'sha256',
    encoding: 'hex',
    secretEncoding: 'utf8',
    signed: '{body}',
  },
  keys: ['secret'],
  required: ['secret'],
  handshake: [
    {
      doc: 'subscription verification: an unsigned POST whose only key is verification_token → 200 (the token is the secret to set)',
      // Narrow on purpose: it skips the signature. Only a body that is exactly {"verification_token": "<text>"}.
      when: '$method = "POST" and $type(verification_token) = "string" and $count($keys($)) = 1',
      respond: { status: 200 },
      unsigned: true,
    },
  ],
  topic: { path: 'type' },
  id: { path: 'id' },
  vectors: 'test/verify/vectors/notion.json',
});
