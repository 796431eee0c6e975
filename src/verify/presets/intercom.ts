import { preset } from '../spec.js';

/** Intercom: the app's client secret signs the raw body with SHA-1, hex, after `sha1=`. */
export const intercom = preset({
  name: 'intercom',
  summary: 'X-Hub-Signature: "sha1=" hex HMAC-SHA1 of the body with the app client secret; topic topic; id id',
  docs: 'https://developers.intercom.com/docs/webhooks/setting-up-webhooks',
  hmac: {
    header: 'x-hub-signature',
    prefix: 'sha1=',
    algorithm: 'sha1',
    encoding: 'hex',
    secretEncoding: 'utf8',
    signed: '{body}',
  },
  keys: ['secret'],
  required: ['secret'],
  topic: { path: 'topic' },
  id: { path: 'id' },
  vectors: 'test/verify/vectors/intercom.json',
});
