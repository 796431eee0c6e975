import { preset } from '../spec.js';

/** Bitbucket Cloud (and Data Center): X-Hub-Signature sha256= + hex HMAC-SHA256 of the body; https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/ */
export const bitbucket = preset({
  name: 'bitbucket',
  summary: 'X-Hub-Signature: sha256= + hex HMAC-SHA256 of the body (Bitbucket Cloud and Data Center)',
  docs: 'https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/',
  hmac: { header: 'x-hub-signature', prefix: 'sha256=', algorithm: 'sha256', encoding: 'hex', secretEncoding: 'utf8', signed: '{body}' },
  keys: ['secret'],
  required: ['secret'],
  topic: { header: 'x-event-key' },
  // Cloud sends X-Request-UUID; Data Center calls it X-Request-Id.
  id: { expr: '$headers.`x-request-uuid` ? $headers.`x-request-uuid` : $headers.`x-request-id`', doc: 'X-Request-UUID (Cloud), else X-Request-Id (Data Center)' },
  vectors: 'test/verify/vectors/bitbucket.json',
});
