import { preset } from './spec.js';

/** HTTP Basic credentials. */
export const basic = preset({
  name: 'basic',
  generic: true,
  summary: 'HTTP Basic credentials (username, password)',
  basic: true,
  keys: ['username', 'password'],
  vectors: 'test/verify/vectors/basic.json',
});
