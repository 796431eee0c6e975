import { preset } from '../spec.js';

/** Paddle Billing: Paddle-Signature `ts=…;h1=…`, HMAC-SHA256 of `ts:body` with the notification destination's secret key. */
export const paddle = preset({
  name: 'paddle',
  summary: 'Paddle-Signature ts=;h1= (Paddle Billing): hex HMAC-SHA256 of "ts:body", 5 s tolerance as Paddle\'s SDKs; topic event_type; id event_id',
  docs: 'https://developer.paddle.com/webhooks/signature-verification',
  hmac: {
    header: 'paddle-signature',
    // Several h1 may come (secret rotation): any one may match; other items (h2…) are ignored.
    format: { pairs: ';', kv: '=', signature: 'h1', timestamp: 'ts' },
    algorithm: 'sha256',
    encoding: 'hex',
    // The secret key ("pdl_ntfset_…") is the HMAC key as written.
    secretEncoding: 'utf8',
    timestampFormat: 'seconds',
    // Paddle's docs and SDKs allow five seconds; a server whose clock drifts can raise it with `tolerance`.
    tolerance: '5s',
    signed: '{timestamp}:{body}',
  },
  keys: ['secret', 'tolerance'],
  required: ['secret'],
  topic: { path: 'event_type' },
  // Paddle's deduplication key; notification_id differs per destination and per replay.
  id: { path: 'event_id' },
  vectors: 'test/verify/vectors/paddle.json',
});
