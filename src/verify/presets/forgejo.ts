import { preset } from '../spec.js';
import { giteaSpec } from './gitea.js';

/** Forgejo: gitea's scheme read from the X-Forgejo-* headers; https://forgejo.org/docs/latest/user/webhooks/ */
export const forgejo = preset({
  ...giteaSpec,
  name: 'forgejo',
  alias: 'gitea',
  summary: 'X-Forgejo-Signature: hex HMAC-SHA256 of the body (gitea with the X-Forgejo-* headers)',
  docs: 'https://forgejo.org/docs/latest/user/webhooks/',
  hmac: { ...giteaSpec.hmac, header: 'x-forgejo-signature' },
  topic: {
    expr: '($e := $headers.`x-forgejo-event` ? $headers.`x-forgejo-event` : $headers.`x-gitea-event`; $e ? $join([$e, action], "."))',
    doc: 'X-Forgejo-Event (or X-Gitea-Event) + "." + action (e.g. pull_request.opened; push)',
  },
  id: { expr: '$headers.`x-forgejo-delivery` ? $headers.`x-forgejo-delivery` : $headers.`x-gitea-delivery`', doc: 'X-Forgejo-Delivery (or X-Gitea-Delivery)' },
  vectors: 'test/verify/vectors/forgejo.json',
});
