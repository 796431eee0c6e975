import { OK, type Scheme } from './types.js';

/** No verification: anyone who knows the URL can send events. */
export const none: Scheme = {
  name: 'none',
  summary: 'no verification',
  required: [],
  optional: [],
  verify: () => OK,
  sign: () => ({}),
  warning: 'verification is off (scheme: none): anyone who can reach this URL can send events',
};
