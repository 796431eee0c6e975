// Outgoing signatures (a target's `sign`), per Standard Webhooks: HMAC-SHA256
// over "id.timestamp.body", base64, sent as `v1,<sig>`.
import { createHmac } from 'node:crypto';
import type { OutgoingRequest } from './plan.js';

export function signRequest(req: OutgoingRequest, key: Buffer, now = Date.now()): OutgoingRequest {
  const id = req.headers['webhook-id'] ?? '';
  const ts = String(Math.floor(now / 1000));
  const body = req.body === undefined ? '' : typeof req.body === 'string' ? req.body : Buffer.from(req.body);
  const sig = createHmac('sha256', key).update(`${id}.${ts}.`).update(body).digest('base64');
  return { ...req, headers: { ...req.headers, 'webhook-timestamp': ts, 'webhook-signature': `v1,${sig}` } };
}
