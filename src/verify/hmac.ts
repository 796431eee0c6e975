import { preset } from './spec.js';

/** The generic HMAC scheme: every part configurable (SPEC §2 "Verification beyond the presets"). */
export const hmac = preset({
  name: 'hmac',
  generic: true,
  summary: 'any HMAC sender: the signature header (or body field), hash, encodings, structured header, timestamp and signed text',
  hmac: {},
  keys: [
    'secret',
    'secretEncoding',
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
    'verifyToken',
  ],
  required: ['secret'],
  vectors: 'test/verify/vectors/hmac.json',
});
