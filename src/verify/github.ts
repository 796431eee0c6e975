import { hmac, verifyHmacHeader } from './crypto.js';
import { joinTopic, text, type Scheme } from './types.js';

/** GitHub: X-Hub-Signature-256 (HMAC-SHA256, hex, `sha256=`); topic `event.action`. */
export const github: Scheme = {
  name: 'github',
  summary: 'X-Hub-Signature-256 HMAC-SHA256; topic X-GitHub-Event.action; id X-GitHub-Delivery',
  required: ['secret'],
  optional: [],
  verify: (req, s) =>
    verifyHmacHeader(req, s.secrets, {
      header: 'x-hub-signature-256',
      prefix: 'sha256=',
      algorithm: 'sha256',
      encoding: 'hex',
      message: (r) => [r.rawBody],
    }),
  sign: (body, s, ctx) => ({
    'X-Hub-Signature-256': `sha256=${hmac('sha256', s.secrets[0]!, body).toString('hex')}`,
    'X-GitHub-Delivery': ctx.id,
  }),
  topic: (e) => joinTopic(e.headers['x-github-event'], text(e.payload, 'action')),
  id: (e) => e.headers['x-github-delivery'] || undefined,
};
