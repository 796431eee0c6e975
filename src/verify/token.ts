import { preset } from './spec.js';

/** A shared token in a header (default `Authorization: Bearer <token>`). */
export const token = preset({
  name: 'token',
  generic: true,
  summary: 'a header (default Authorization: Bearer) equals the secret',
  token: {},
  keys: ['secret', 'header', 'prefix', 'verifyToken'],
  vectors: 'test/verify/vectors/token.json',
});
