import type { Scheme } from './types.js';

/** The generic HMAC scheme: every part (header, hash, encoding, prefix, timestamp, signed text) configurable. */
export const hmac: Scheme = {
  name: 'hmac',
  summary: 'generic HMAC: header, algorithm, encoding, prefix, optional timestampHeader and signed template',
  required: ['secret', 'header'],
  optional: ['algorithm', 'encoding', 'prefix', 'timestampHeader', 'signed', 'tolerance'],
};
