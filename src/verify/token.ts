import type { Scheme } from './types.js';

/** A shared token in a header (default `Authorization: Bearer <token>`). */
export const token: Scheme = {
  name: 'token',
  summary: 'a header (default Authorization: Bearer) equals the secret',
  required: ['secret'],
  optional: ['header', 'prefix'],
};
