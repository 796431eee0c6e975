import { preset } from '../spec.js';

/** Sentry integration platform: Sentry-Hook-Signature, hex HMAC-SHA256 of the body with the Client Secret; https://docs.sentry.io/organization/integrations/integration-platform/webhooks/ */
export const sentry = preset({
  name: 'sentry',
  summary: "Sentry-Hook-Signature: hex HMAC-SHA256 of the body, keyed with the integration's Client Secret",
  docs: 'https://docs.sentry.io/organization/integrations/integration-platform/webhooks/',
  // Sentry-Hook-Timestamp is not part of the signed text, so its age proves nothing: not checked.
  hmac: { header: 'sentry-hook-signature', prefix: '', algorithm: 'sha256', encoding: 'hex', secretEncoding: 'utf8', signed: '{body}' },
  keys: ['secret'],
  required: ['secret'],
  topic: {
    expr: '$exists($headers.`sentry-hook-resource`) ? $join([$headers.`sentry-hook-resource`, action], ".")',
    doc: 'Sentry-Hook-Resource + "." + action (e.g. issue.created, event_alert.triggered)',
  },
  id: { header: 'request-id' },
  vectors: 'test/verify/vectors/sentry.json',
});
