import { preset, type PresetSpec } from '../spec.js';

/**
 * Gitea (and Forgejo, which sends the X-Gitea-* headers too): X-Gitea-Signature,
 * bare hex HMAC-SHA256 of the body; https://docs.gitea.com/usage/webhooks
 */
export const giteaSpec = {
  name: 'gitea',
  summary: 'X-Gitea-Signature: hex HMAC-SHA256 of the body (Forgejo sends it too)',
  docs: 'https://docs.gitea.com/usage/webhooks',
  hmac: { header: 'x-gitea-signature', prefix: '', algorithm: 'sha256', encoding: 'hex', secretEncoding: 'utf8', signed: '{body}' },
  keys: ['secret'],
  required: ['secret'],
  topic: {
    expr: '($e := $headers.`x-gitea-event` ? $headers.`x-gitea-event` : $headers.`x-forgejo-event`; $e ? $join([$e, action], "."))',
    doc: 'X-Gitea-Event (or X-Forgejo-Event) + "." + action (e.g. issues.opened; push)',
  },
  id: { expr: '$headers.`x-gitea-delivery` ? $headers.`x-gitea-delivery` : $headers.`x-forgejo-delivery`', doc: 'X-Gitea-Delivery (or X-Forgejo-Delivery)' },
  vectors: 'test/verify/vectors/gitea.json',
} as const satisfies PresetSpec;

export const gitea = preset(giteaSpec);
