import { field, joinTopic, text, type Scheme } from './types.js';

/** Meta (Facebook, Instagram, WhatsApp): X-Hub-Signature-256; topic `object.field`; GET hub.challenge. */
export const meta: Scheme = {
  name: 'meta',
  summary: 'X-Hub-Signature-256 HMAC-SHA256; topic object.field; GET hub.challenge with verifyToken',
  required: ['secret', 'verifyToken'],
  optional: [],
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
