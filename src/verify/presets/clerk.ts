import { preset } from '../spec.js';
import { standardWebhooksSpec } from './standard-webhooks.js';

/** Clerk delivers through Svix: svix-* headers, a whsec_ signing secret from the Clerk dashboard. */
export const clerk = preset({
  ...standardWebhooksSpec,
  name: 'clerk',
  alias: 'standard-webhooks',
  summary: 'Clerk (via Svix): svix-signature "v1,<base64>" HMAC-SHA256 of "svix-id.svix-timestamp.body", whsec_ secret, 5 min; topic type; id svix-id',
  docs: 'https://clerk.com/docs/webhooks/sync-data',
  hmac: {
    ...standardWebhooksSpec.hmac,
    header: 'svix-signature',
    timestampHeader: 'svix-timestamp',
    signed: '{header:svix-id}.{timestamp}.{body}',
  },
  id: { header: 'svix-id' },
  vectors: 'test/verify/vectors/clerk.json',
});
