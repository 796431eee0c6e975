import { preset } from './spec.js';

/** The generic public-key scheme: ed25519, ecdsa-p256-sha256 or rsa-sha256 over a signed text. */
export const signature = preset({
  name: 'signature',
  generic: true,
  summary: "any public-key sender: ed25519, ecdsa-p256-sha256 or rsa-sha256 over a signed text, with the sender's public key",
  signature: {},
  keys: [
    'publicKey',
    'algorithm',
    'encoding',
    'header',
    'signatureFrom',
    'prefix',
    'format',
    'timestampHeader',
    'timestampFrom',
    'timestampFormat',
    'tolerance',
    'signed',
    'url',
    'secret',
    'verifyToken',
  ],
  required: ['publicKey', 'algorithm'],
  vectors: 'test/verify/vectors/signature.json',
});
