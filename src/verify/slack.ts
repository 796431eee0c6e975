import { checkTimestamp, hmac, verifyHmacHeader } from './crypto.js';
import { field, reject, text, type Scheme } from './types.js';

const SIGNATURE = {
  header: 'x-slack-signature',
  prefix: 'v0=',
  algorithm: 'sha256' as const,
  encoding: 'hex' as const,
  message: (r: { headers: Readonly<Record<string, string>>; rawBody: Buffer }) => [`v0:${r.headers['x-slack-request-timestamp'] ?? ''}:`, r.rawBody],
};

/** Slack: X-Slack-Signature `v0=` HMAC-SHA256 of `v0:ts:body`; topic `event.type` or `type`. */
export const slack: Scheme = {
  name: 'slack',
  summary: 'X-Slack-Signature v0= HMAC-SHA256 of "v0:ts:body", 5 min; topic event.type or type; id event_id',
  required: ['secret'],
  optional: ['tolerance'],
  verify: (req, s) => {
    if (!req.headers['x-slack-signature']) return reject('missing signature');
    const ts = req.headers['x-slack-request-timestamp'];
    const fresh = checkTimestamp(ts, req.now, s.toleranceMs);
    if (!fresh.ok) return fresh;
    return verifyHmacHeader(req, s.secrets, SIGNATURE);
  },
  sign: (body, s, ctx) => {
    const ts = String(Math.floor(ctx.now / 1000));
    return { 'X-Slack-Request-Timestamp': ts, 'X-Slack-Signature': `v0=${hmac('sha256', s.secrets[0]!, `v0:${ts}:`, body).toString('hex')}` };
  },
  // Slack confirms a new Events API URL by posting a challenge to echo back.
  handshake: (payload) =>
    field(payload, 'type') === 'url_verification' && typeof field(payload, 'challenge') === 'string'
      ? { status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ challenge: field(payload, 'challenge') }) }
      : undefined,
  topic: (e) => text(e.payload, 'event.type') ?? text(e.payload, 'type'),
  id: (e) => text(e.payload, 'event_id'),
};
