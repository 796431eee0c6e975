import { preset } from './spec.js';

/** No verification: anyone who knows the URL can send events. */
export const none = preset({
  name: 'none',
  generic: true,
  summary: 'no verification',
  none: true,
  keys: ['verifyToken'],
  warning: 'verification is off (scheme: none): anyone who can reach this URL can send events',
});
