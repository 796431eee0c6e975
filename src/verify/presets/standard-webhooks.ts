import { whsecProblem } from '../engine.js';
import { preset, type PresetSpec } from '../spec.js';

/**
 * Standard Webhooks (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp` (seconds) and
 * `webhook-signature` — space-separated `v1,<base64>` items, several while the sender rotates its key —
 * over `id.timestamp.body`, keyed with the base64 after `whsec_`. Exported so the aliases (svix, clerk,
 * resend, openai) can spread it and change only the header family.
 */
export const standardWebhooksSpec = {
  name: 'standard-webhooks',
  summary: 'webhook-signature "v1,<base64>" HMAC-SHA256 of "webhook-id.webhook-timestamp.body", whsec_ secret, 5 min; topic type; id webhook-id',
  docs: 'https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md',
  hmac: {
    header: 'webhook-signature',
    // "v1,sigA v1,sigB v1a,…": items split on spaces, key and value on the first comma; only v1 (symmetric) counts.
    format: { pairs: ' ', kv: ',', signature: 'v1' },
    algorithm: 'sha256',
    encoding: 'base64',
    secretEncoding: 'whsec',
    timestampHeader: 'webhook-timestamp',
    timestampFormat: 'seconds',
    tolerance: '5m',
    signed: '{header:webhook-id}.{timestamp}.{body}',
  },
  keys: ['secret', 'tolerance'],
  required: ['secret'],
  // A whsec_ secret too short or not base64 is a copy-paste mistake: say so at load.
  checkSecret: (secret, { secretEncoding }) => ((secretEncoding ?? 'whsec') === 'whsec' ? whsecProblem(secret) : undefined),
  // Svix (which the spec grew from) still sends the same three headers as svix-*: a request with only
  // those is read as if they were webhook-* (configs written before the aliases existed keep working).
  adapt: (req) => {
    const h = req.headers;
    if (h['webhook-signature'] !== undefined || h['svix-signature'] === undefined) return req;
    return { ...req, headers: { ...h, 'webhook-id': h['svix-id'] ?? '', 'webhook-timestamp': h['svix-timestamp'] ?? '', 'webhook-signature': h['svix-signature'] } };
  },
  topic: { path: 'type' },
  // The id from the same family of headers the signature was checked over (adapt): a webhook-id added
  // beside svix-* headers is not signed, and must not make a replay look new.
  id: { get: (e) => (e.headers['webhook-signature'] !== undefined ? e.headers['webhook-id'] : e.headers['svix-id']) || undefined, doc: '`webhook-id` header (or `svix-id`)' },
  vectors: 'test/verify/vectors/standard-webhooks.json',
} as const satisfies PresetSpec;

export const standardWebhooks = preset(standardWebhooksSpec);
