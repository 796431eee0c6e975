import { preset } from '../spec.js';

/**
 * Mailgun webhooks (JSON): the signature travels in the body, `signature: {timestamp, token, signature}`,
 * hex HMAC-SHA256 with the HTTP webhook signing key of timestamp + token. It does not cover
 * `event-data`: the timestamp check is what limits a captured signature's reuse.
 */
export const mailgun = preset({
  name: 'mailgun',
  summary: 'signature in the body: signature.signature = hex HMAC-SHA256 (webhook signing key) of signature.timestamp + signature.token, 5 min; topic event-data.event; id event-data.id',
  docs: 'https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks',
  hmac: {
    signatureFrom: 'signature.signature',
    prefix: '',
    algorithm: 'sha256',
    encoding: 'hex',
    secretEncoding: 'utf8',
    timestampFrom: 'signature.timestamp',
    timestampFormat: 'seconds',
    tolerance: '5m',
    signed: '{field:signature.timestamp}{field:signature.token}',
  },
  // Mailgun signs timestamp + token, not event-data: a captured signature must not carry another event.
  bindSignatureToId: true,
  keys: ['secret', 'tolerance'],
  required: ['secret'],
  topic: { path: 'event-data.event' },
  id: { path: 'event-data.id' },
  vectors: 'test/verify/vectors/mailgun.json',
});
