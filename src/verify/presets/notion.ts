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
  // Until Notion's first request has handed over the token there is no secret: the source loads
  // (with a warning) so that request can be received, and every signed event is refused meanwhile.
  required: [],
  handshake: [
    {
      doc: 'subscription verification: an unsigned POST whose only key is verification_token → 200, kept as an event (topic notion.verification, never delivered) so you can copy the token from the inspector into Notion and into verify.secret',
      // Narrow on purpose: it skips the signature. Only a body that is exactly {"verification_token": "<text>"}, of a sane length.
      when: '$method = "POST" and $type(verification_token) = "string" and $length(verification_token) <= 256 and $count($keys($)) = 1',
      respond: { status: 200 },
      unsigned: true,
      record: 'notion.verification',
    },
  ],
  topic: { path: 'type' },
  id: { path: 'id' },
  vectors: 'test/verify/vectors/notion.json',
});
