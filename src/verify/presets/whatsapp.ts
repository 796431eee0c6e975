import { preset } from '../spec.js';
import { metaSpec } from './meta.js';

/** WhatsApp Cloud API webhooks: Meta's scheme (X-Hub-Signature-256, hub.challenge) under WhatsApp's name. */
export const whatsapp = preset({
  ...metaSpec,
  name: 'whatsapp',
  alias: 'meta',
  summary: 'WhatsApp Cloud API (= meta): X-Hub-Signature-256 sha256= hex HMAC-SHA256 of the body (app secret); topic whatsapp_business_account.<field>; GET hub.challenge with verifyToken',
  docs: 'https://developers.facebook.com/docs/whatsapp/cloud-api/guides/set-up-webhooks',
  vectors: 'test/verify/vectors/whatsapp.json',
});
