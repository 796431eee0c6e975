import { text, type Scheme } from './types.js';

/** Slack: X-Slack-Signature `v0=` HMAC-SHA256 of `v0:ts:body`; topic `event.type` or `type`. */
export const slack: Scheme = {
  name: 'slack',
  summary: 'X-Slack-Signature v0= HMAC-SHA256 of "v0:ts:body", 5 min; topic event.type or type; id event_id',
  required: ['secret'],
  optional: ['tolerance'],
  topic: (e) => text(e.payload, 'event.type') ?? text(e.payload, 'type'),
  id: (e) => text(e.payload, 'event_id'),
};
