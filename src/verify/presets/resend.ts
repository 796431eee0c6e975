import { preset } from '../spec.js';
import { standardWebhooksSpec } from './standard-webhooks.js';

/** Resend delivers through Svix: svix-* headers, the webhook's whsec_ signing secret. */
export const resend = preset({
  ...standardWebhooksSpec,
  name: 'resend',
  alias: 'standard-webhooks',
  summary: 'Resend (via Svix): svix-signature "v1,<base64>" HMAC-SHA256 of "svix-id.svix-timestamp.body", whsec_ secret, 5 min; topic type; id svix-id',
  docs: 'https://resend.com/docs/webhooks/verify-webhooks-requests',
  hmac: {
    ...standardWebhooksSpec.hmac,
    header: 'svix-signature',
    timestampHeader: 'svix-timestamp',
    signed: '{header:svix-id}.{timestamp}.{body}',
  },
  id: { header: 'svix-id' },
  vectors: 'test/verify/vectors/resend.json',
});
