import { preset } from '../spec.js';

/**
 * Zendesk webhooks: base64 HMAC-SHA256 with the webhook's signing secret (used as written, not
 * base64-decoded) of X-Zendesk-Webhook-Signature-Timestamp (ISO 8601) followed by the body.
 */
export const zendesk = preset({
  name: 'zendesk',
  summary: 'X-Zendesk-Webhook-Signature: base64 HMAC-SHA256 (signing secret) of X-Zendesk-Webhook-Signature-Timestamp (ISO 8601) + body, 5 min; topic type (event webhooks); id id',
  docs: 'https://developer.zendesk.com/documentation/webhooks/verifying/',
  hmac: {
    header: 'x-zendesk-webhook-signature',
    prefix: '',
    algorithm: 'sha256',
    encoding: 'base64',
    secretEncoding: 'utf8',
    timestampHeader: 'x-zendesk-webhook-signature-timestamp',
    timestampFormat: 'iso8601',
    tolerance: '5m',
    signed: '{timestamp}{body}',
  },
  keys: ['secret', 'tolerance'],
  required: ['secret'],
  // Event-subscribed webhooks carry type (zen:event-type:…) and id; a trigger or automation
  // webhook posts the body its author wrote, so such sources set topic/id themselves.
  topic: { path: 'type', doc: '`type` (`zen:event-type:…`, event webhooks; trigger webhooks carry the body their author wrote)' },
  id: { path: 'id' },
  vectors: 'test/verify/vectors/zendesk.json',
});
