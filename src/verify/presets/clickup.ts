import { preset } from '../spec.js';

/**
 * ClickUp: the secret returned when the webhook is created signs the raw body (hex). The payload has no
 * delivery id of its own: the first history item's id, with the webhook and the event, stands for one.
 */
export const clickup = preset({
  name: 'clickup',
  summary: 'X-Signature: hex HMAC-SHA256 of the body with the webhook secret; topic event; id webhook_id:event:history_items[0].id',
  docs: 'https://developer.clickup.com/docs/webhooksignature',
  hmac: {
    header: 'x-signature',
    prefix: '',
    algorithm: 'sha256',
    encoding: 'hex',
    secretEncoding: 'utf8',
    signed: '{body}',
  },
  keys: ['secret'],
  required: ['secret'],
  topic: { path: 'event' },
  id: {
    // The event is part of it: ClickUp sends taskCreated and taskStatusUpdated for one new task, which
    // may share a history item. Events without history_items (taskDeleted) have no id.
    expr: 'history_items[0].id ? webhook_id & ":" & event & ":" & history_items[0].id',
    doc: '`webhook_id:event:history_items[0].id` (none when the payload has no history_items)',
  },
  vectors: 'test/verify/vectors/clickup.json',
});
