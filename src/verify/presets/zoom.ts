import { preset } from '../spec.js';

/** Zoom webhooks: x-zm-signature `v0=` HMAC-SHA256 of `v0:{timestamp}:{body}` with the app's secret token. */
export const zoom = preset({
  name: 'zoom',
  summary: 'x-zm-signature v0= hex HMAC-SHA256 of "v0:{timestamp}:{body}" (x-zm-request-timestamp, 5 min), secret token; endpoint.url_validation answered',
  docs: 'https://developers.zoom.us/docs/api/webhooks/',
  hmac: {
    header: 'x-zm-signature',
    prefix: 'v0=',
    algorithm: 'sha256',
    encoding: 'hex',
    timestampHeader: 'x-zm-request-timestamp',
    timestampFormat: 'seconds',
    tolerance: '5m',
    signed: 'v0:{timestamp}:{body}',
  },
  keys: ['secret', 'tolerance'],
  topic: { path: 'event' },
  // Zoom sends no delivery id in the body; resends are not recognised.
  handshake: [
    {
      doc: 'endpoint.url_validation (signed, also every 72 h) → plainToken and its HMAC-SHA256 (hex) with the secret token',
      when: '$method = "POST" and event = "endpoint.url_validation"',
      respond: {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
        body: '{ "plainToken": payload.plainToken, "encryptedToken": $hmac("sha256", payload.plainToken, "hex") }',
      },
    },
  ],
  vectors: 'test/verify/vectors/zoom.json',
});
