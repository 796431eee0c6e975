import { bodyHmac, safeEqualText } from './crypto.js';
import { field, joinTopic, text, type Scheme } from './types.js';

const SIGNATURE = bodyHmac({ header: 'x-hub-signature-256', prefix: 'sha256=', algorithm: 'sha256', encoding: 'hex' });

/** Meta (Facebook, Instagram, WhatsApp): X-Hub-Signature-256; topic `object.field`; GET hub.challenge. */
export const meta: Scheme = {
  name: 'meta',
  summary: 'X-Hub-Signature-256 HMAC-SHA256; topic object.field; GET hub.challenge with verifyToken',
  required: ['secret', 'verifyToken'],
  optional: [],
  verify: SIGNATURE.verify,
  sign: (body, s) => SIGNATURE.signature(body, s),
  // Subscribing a callback URL: GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…
  challenge: (req, s) => {
    if (req.query['hub.mode'] !== 'subscribe' || typeof req.query['hub.challenge'] !== 'string') return undefined;
    const ok = s.verifyToken !== undefined && safeEqualText(req.query['hub.verify_token'] ?? '', s.verifyToken);
    return ok
      ? { status: 200, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: req.query['hub.challenge'] }
      : { status: 403, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'verify token mismatch' };
  },
  topic: (e) => {
    const entry = field(e.payload, 'entry');
    const first = Array.isArray(entry) ? entry[0] : undefined;
    const changes = field(first, 'changes');
    const change = Array.isArray(changes) ? changes[0] : undefined;
    const kind = text(change, 'field') ?? (field(first, 'messaging') !== undefined ? 'messaging' : undefined);
    return joinTopic(text(e.payload, 'object'), kind);
  },
  // Meta sends no delivery id: duplicates cannot be recognised.
  id: () => undefined,
};
