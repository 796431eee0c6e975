import { preset } from '../spec.js';
import { standardWebhooksSpec } from './standard-webhooks.js';

/**
 * Svix, the service that sends Standard Webhooks for many providers: the same signature, under its
 * branded header family svix-id / svix-timestamp / svix-signature. (Svix customers with white-labelled
 * headers send webhook-*: use standard-webhooks for them.)
 */
export const svix = preset({
  ...standardWebhooksSpec,
  name: 'svix',
  alias: 'standard-webhooks',
  summary: 'Standard Webhooks under svix-* headers: svix-signature "v1,<base64>" HMAC-SHA256 of "svix-id.svix-timestamp.body", whsec_ secret, 5 min; topic type; id svix-id',
  docs: 'https://docs.svix.com/receiving/verifying-payloads/how-manual',
  hmac: {
    ...standardWebhooksSpec.hmac,
    header: 'svix-signature',
    timestampHeader: 'svix-timestamp',
    signed: '{header:svix-id}.{timestamp}.{body}',
  },
  id: { header: 'svix-id' },
  vectors: 'test/verify/vectors/svix.json',
});
