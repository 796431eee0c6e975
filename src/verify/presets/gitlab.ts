import { preset } from '../spec.js';

/** GitLab: X-Gitlab-Token is the secret itself (no signature); https://docs.gitlab.com/user/project/integrations/webhooks/ */
export const gitlab = preset({
  name: 'gitlab',
  summary: 'X-Gitlab-Token equals the secret (a shared token, not a signature)',
  docs: 'https://docs.gitlab.com/user/project/integrations/webhooks/#validate-payloads-by-using-a-secret-token',
  token: { header: 'x-gitlab-token', prefix: '' },
  keys: ['secret'],
  required: ['secret'],
  // object_kind ("merge_request") is stable across GitLab versions; the header
  // ("Merge Request Hook", "System Hook") is the fallback for payloads without it.
  topic: {
    expr: 'object_kind ? $join([object_kind, object_attributes.action], ".") : $headers.`x-gitlab-event`',
    doc: 'object_kind + "." + object_attributes.action (e.g. merge_request.open; push), else the X-Gitlab-Event header',
  },
  id: { header: 'x-gitlab-event-uuid' },
  vectors: 'test/verify/vectors/gitlab.json',
});
