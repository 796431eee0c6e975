import { bodyHmac } from './crypto.js';
import { joinTopic, text, type Scheme } from './types.js';

const SIGNATURE = bodyHmac({ header: 'x-hub-signature-256', prefix: 'sha256=', algorithm: 'sha256', encoding: 'hex' });

/** GitHub: X-Hub-Signature-256 (HMAC-SHA256, hex, `sha256=`); topic `event.action`. */
export const github: Scheme = {
  name: 'github',
  summary: 'X-Hub-Signature-256 HMAC-SHA256; topic X-GitHub-Event.action; id X-GitHub-Delivery',
  required: ['secret'],
  optional: [],
  verify: SIGNATURE.verify,
  sign: (body, s, ctx) => ({ ...SIGNATURE.signature(body, s), 'X-GitHub-Delivery': ctx.id }),
  topic: (e) => joinTopic(e.headers['x-github-event'], text(e.payload, 'action')),
  id: (e) => e.headers['x-github-delivery'] || undefined,
};
