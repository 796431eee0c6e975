import { preset } from '../spec.js';

/** Discord interactions endpoint: Ed25519 X-Signature-Ed25519 over X-Signature-Timestamp + body, the application's public key. */
export const discord = preset({
  name: 'discord',
  summary: "Ed25519 X-Signature-Ed25519 (hex) over X-Signature-Timestamp + body, with the application's public key; PING answered with PONG",
  docs: 'https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers',
  signature: {
    algorithm: 'ed25519',
    header: 'x-signature-ed25519',
    prefix: '',
    encoding: 'hex',
    timestampHeader: 'x-signature-timestamp',
    timestampFormat: 'seconds',
    tolerance: '5m',
    signed: '{timestamp}{body}',
  },
  keys: ['publicKey', 'tolerance'],
  required: ['publicKey'],
  topic: {
    expr: '$type(type) = "number" ? ($n := $lookup({"1": "ping", "2": "application_command", "3": "message_component", "4": "application_command_autocomplete", "5": "modal_submit"}, $string(type)); $exists($n) ? $n : "type_" & $string(type))',
    doc: 'the interaction type by name: `ping`, `application_command`, `message_component`, `application_command_autocomplete`, `modal_submit` (`type_<n>` for others)',
  },
  id: { path: 'id' },
  handshake: [
    {
      doc: 'PING (type 1, signed) → PONG {"type":1}',
      when: '$method = "POST" and type = 1',
      respond: { status: 200, headers: { 'Content-Type': 'application/json' }, body: '{ "type": 1 }' },
    },
  ],
  vectors: 'test/verify/vectors/discord.json',
});
