import { text, type Scheme } from './types.js';

/**
 * Twilio: X-Twilio-Signature, base64 HMAC-SHA1 of the public URL followed by
 * the sorted form parameters. Topics: `twilio.message`, `twilio.message.status`
 * (delivery status callbacks), `twilio.call`, `twilio.call.status`.
 */
export const twilio: Scheme = {
  name: 'twilio',
  summary: 'X-Twilio-Signature base64 HMAC-SHA1 of URL + sorted params; topic twilio.<kind>; id MessageSid/CallSid',
  required: ['secret'],
  optional: ['url'],
  topic: (e) => {
    const p = e.payload;
    if (text(p, 'MessageSid') ?? text(p, 'SmsSid')) {
      // An incoming message carries a Body; a status callback does not.
      return text(p, 'Body') !== undefined || text(p, 'NumMedia') !== undefined ? 'twilio.message' : 'twilio.message.status';
    }
    if (text(p, 'CallSid')) {
      const status = text(p, 'CallStatus');
      return status === undefined || status === 'ringing' ? 'twilio.call' : 'twilio.call.status';
    }
    return 'twilio.unknown';
  },
  // Twilio sends the same idempotency token when it retries a request. Without
  // it, a message's status callbacks share its MessageSid, so the status is part of the id.
  id: (e) => {
    const token = e.headers['i-twilio-idempotency-token'];
    if (token) return token;
    const p = e.payload;
    const sid = text(p, 'MessageSid') ?? text(p, 'SmsSid') ?? text(p, 'CallSid');
    if (!sid) return undefined;
    const status = text(p, 'MessageStatus') ?? text(p, 'SmsStatus') ?? text(p, 'CallStatus');
    return status ? `${sid}:${status}` : sid;
  },
};
