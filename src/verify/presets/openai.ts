import { preset } from '../spec.js';
import { standardWebhooksSpec } from './standard-webhooks.js';

/** OpenAI sends Standard Webhooks with the unbranded webhook-* headers; the secret starts with whsec_. */
export const openai = preset({
  ...standardWebhooksSpec,
  name: 'openai',
  alias: 'standard-webhooks',
  summary: 'OpenAI (Standard Webhooks): webhook-signature "v1,<base64>" HMAC-SHA256 of "webhook-id.webhook-timestamp.body", whsec_ secret, 5 min; topic type; id webhook-id',
  docs: 'https://platform.openai.com/docs/guides/webhooks',
  vectors: 'test/verify/vectors/openai.json',
});
