import { preset } from '../spec.js';

/** Linear: Linear-Signature, hex HMAC-SHA256 of the body; webhookTimestamp (ms, in the signed body) within a minute; https://linear.app/developers/webhooks#securing-webhooks */
export const linear = preset({
  name: 'linear',
  summary: "Linear-Signature: hex HMAC-SHA256 of the body; the body's webhookTimestamp (ms) within 60 s",
  docs: 'https://linear.app/developers/webhooks#securing-webhooks',
  hmac: {
    header: 'linear-signature',
    prefix: '',
    algorithm: 'sha256',
    encoding: 'hex',
    secretEncoding: 'utf8',
    // Inside the signed body, so it cannot be swapped (the Linear-Timestamp header is not signed).
    timestampFrom: 'webhookTimestamp',
    timestampFormat: 'ms',
    tolerance: '60s',
    signed: '{body}',
  },
  keys: ['secret', 'tolerance'],
  required: ['secret'],
  topic: { expr: 'type ? $join([type, action], ".")', doc: 'type + "." + action (e.g. Issue.create)' },
  id: { header: 'linear-delivery' },
  vectors: 'test/verify/vectors/linear.json',
});
