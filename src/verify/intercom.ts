import { hmac, verifyHmacHeader } from './crypto.js';
import { text, type Scheme } from './types.js';

/** Intercom: X-Hub-Signature HMAC-SHA1 hex (`sha1=`); topic `topic`; id `id`. */
export const intercom: Scheme = {
  name: 'intercom',
  summary: 'X-Hub-Signature HMAC-SHA1 hex; topic topic; id id',
  required: ['secret'],
  optional: [],
  verify: (req, s) =>
    verifyHmacHeader(req, s.secrets, {
      header: 'x-hub-signature',
      prefix: 'sha1=',
      algorithm: 'sha1',
      encoding: 'hex',
      message: (r) => [r.rawBody],
    }),
  sign: (body, s) => ({ 'X-Hub-Signature': `sha1=${hmac('sha1', s.secrets[0]!, body).toString('hex')}` }),
  topic: (e) => text(e.payload, 'topic'),
  id: (e) => text(e.payload, 'id'),
};
