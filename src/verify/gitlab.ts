import { safeEqualText } from './crypto.js';
import { joinTopic, OK, reject, text, type Scheme } from './types.js';

/** GitLab: X-Gitlab-Token equals the secret; topic `object_kind[.action]`. */
export const gitlab: Scheme = {
  name: 'gitlab',
  summary: 'X-Gitlab-Token equals the secret; topic object_kind(.action); id X-Gitlab-Event-UUID',
  required: ['secret'],
  optional: [],
  // GitLab sends the secret itself, not a signature: compare it in constant time.
  verify: (req, s) => {
    const token = req.headers['x-gitlab-token'];
    if (!token) return reject('missing token');
    let ok = false;
    for (const secret of s.secrets) if (safeEqualText(token, secret)) ok = true;
    return ok ? OK : reject('token mismatch');
  },
  sign: (_body, s, ctx) => ({ 'X-Gitlab-Token': s.secrets[0]!, 'X-Gitlab-Event-UUID': ctx.id }),
  // object_kind ("merge_request") is stable across GitLab versions; the header
  // ("Merge Request Hook") is the fallback for payloads without it.
  topic: (e) => joinTopic(text(e.payload, 'object_kind'), text(e.payload, 'object_attributes.action')) ?? e.headers['x-gitlab-event'],
  id: (e) => e.headers['x-gitlab-event-uuid'] || undefined,
};
