import type { Scheme } from './types.js';

/** HTTP Basic credentials. */
export const basic: Scheme = {
  name: 'basic',
  summary: 'HTTP Basic credentials (username, password)',
  required: ['username', 'password'],
  optional: [],
};
