import { preset } from '../spec.js';

/** Square: x-square-hmacsha256-signature, base64 HMAC-SHA256 of the notification URL followed by the body. */
export const square = preset({
  name: 'square',
  summary: "x-square-hmacsha256-signature: base64 HMAC-SHA256 of the notification URL + body (url: the URL configured at Square, else the request's public URL); topic type; id event_id",
  docs: 'https://developer.squareup.com/docs/webhooks/step3validate',
  hmac: {
    header: 'x-square-hmacsha256-signature',
    prefix: '',
    algorithm: 'sha256',
    encoding: 'base64',
    // The subscription's signature key, as shown (it is not base64-decoded).
    secretEncoding: 'utf8',
    // {url} is verify.url when set (the notification URL exactly as configured at Square), else the public URL of the request.
    signed: '{url}{body}',
  },
  keys: ['secret', 'url'],
  required: ['secret'],
  topic: { path: 'type' },
  id: { path: 'event_id' },
  vectors: 'test/verify/vectors/square.json',
});
