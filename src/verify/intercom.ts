import { bodyHmac } from './crypto.js';
import { text, type Scheme } from './types.js';

const SIGNATURE = bodyHmac({ header: 'x-hub-signature', prefix: 'sha1=', algorithm: 'sha1', encoding: 'hex' });

/** Intercom: X-Hub-Signature HMAC-SHA1 hex (`sha1=`); topic `topic`; id `id`. */
export const intercom: Scheme = {
  name: 'intercom',
  summary: 'X-Hub-Signature HMAC-SHA1 hex; topic topic; id id',
  required: ['secret'],
  optional: [],
  verify: SIGNATURE.verify,
  sign: (body, s) => SIGNATURE.signature(body, s),
  topic: (e) => text(e.payload, 'topic'),
  id: (e) => text(e.payload, 'id'),
};
