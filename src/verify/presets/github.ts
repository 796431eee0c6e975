import { hmac, verifyHmacHeader, type HmacHeaderSpec } from '../crypto.js';
import { preset } from '../spec.js';
import { joinTopic, reject, text, type SignedRequest, type Verdict, type VerifySettings } from '../types.js';

const SHA256: HmacHeaderSpec = { header: 'x-hub-signature-256', prefix: 'sha256=', algorithm: 'sha256', encoding: 'hex', message: (r) => [r.rawBody] };
const SHA1: HmacHeaderSpec = { header: 'x-hub-signature', prefix: 'sha1=', algorithm: 'sha1', encoding: 'hex', message: (r) => [r.rawBody] };

/** The user's `allowSha1` (an extraKeys boolean). */
const allowSha1 = (s: VerifySettings): boolean => s.options['allowSha1'] === true;

/**
 * X-Hub-Signature-256 whenever it is there; the legacy SHA-1 X-Hub-Signature
 * only when it is alone and the user opted in. GitHub sends both headers, so a
 * wrong SHA-256 is never rescued by a right SHA-1.
 */
function verifyGithub(req: SignedRequest, s: VerifySettings): Verdict {
  if (req.headers[SHA256.header]) return verifyHmacHeader(req, s.secrets, SHA256);
  if (allowSha1(s) && req.headers[SHA1.header]) return verifyHmacHeader(req, s.secrets, SHA1);
  return reject('missing signature');
}

/** GitHub: X-Hub-Signature-256 (sha256=, hex HMAC-SHA256 of the body); https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries */
export const github = preset({
  name: 'github',
  summary: 'X-Hub-Signature-256: sha256= + hex HMAC-SHA256 of the body (legacy SHA-1 X-Hub-Signature with allowSha1)',
  docs: 'https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries',
  verify: verifyGithub,
  signatureHeader: 'x-hub-signature-256',
  checks: 'X-Hub-Signature-256 (sha256=, hex HMAC-SHA256 of the raw body); when it is absent and allowSha1 is set, X-Hub-Signature (sha1=, hex HMAC-SHA1)',
  sign: (body, s, ctx) => ({
    'X-Hub-Signature-256': `sha256=${hmac('sha256', s.secrets[0]!, body).toString('hex')}`,
    ...(allowSha1(s) ? { 'X-Hub-Signature': `sha1=${hmac('sha1', s.secrets[0]!, body).toString('hex')}` } : {}),
    'X-GitHub-Delivery': ctx.id,
  }),
  keys: ['secret'],
  required: ['secret'],
  extraKeys: {
    allowSha1: {
      type: 'boolean',
      default: false,
      description:
        'Also accept the legacy X-Hub-Signature (HMAC-SHA1) when X-Hub-Signature-256 is absent (an old GitHub Enterprise Server, a relay that passes only the legacy header). When both are present the SHA-256 one is checked.',
    },
  },
  // A function, not JSONata: GitHub is the busiest source, and this runs for every event.
  topic: { get: (e) => joinTopic(e.headers['x-github-event'], text(e.payload, 'action')), doc: '`X-GitHub-Event` + `.` + `action` (e.g. `issues.opened`, `push`)' },
  id: { header: 'x-github-delivery' },
  vectors: 'test/verify/vectors/github.json',
});
