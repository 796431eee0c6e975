import { preset } from '../spec.js';

/** Jira Cloud admin webhooks with a secret: X-Hub-Signature sha256= + hex HMAC-SHA256 of the body (WebSub); https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks */
export const jira = preset({
  name: 'jira',
  summary: 'X-Hub-Signature: sha256= + hex HMAC-SHA256 of the body (admin webhooks saved with a secret)',
  docs: 'https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks',
  hmac: { header: 'x-hub-signature', prefix: 'sha256=', algorithm: 'sha256', encoding: 'hex', secretEncoding: 'utf8', signed: '{body}' },
  keys: ['secret'],
  required: ['secret'],
  topic: { path: 'webhookEvent' },
  // The same on every retry of one delivery.
  id: { header: 'x-atlassian-webhook-identifier' },
  vectors: 'test/verify/vectors/jira.json',
});
