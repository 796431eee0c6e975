import { createHash } from 'node:crypto';
import { decode, hmac, safeEqual, safeEqualText } from './crypto.js';
import { OK, reject, text, type Scheme, type SignedRequest } from './types.js';

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/**
 * The text Twilio signs: the full URL it called, then (for form posts) every
 * parameter name and value, sorted by name. A JSON post carries the SHA-256 of
 * its body in the URL's bodySHA256 parameter instead.
 */
function signedText(url: string, req: SignedRequest): string {
  const contentType = req.headers['content-type'] ?? '';
  if (!contentType.startsWith('application/x-www-form-urlencoded')) return url;
  const params = [...new URLSearchParams(req.rawBody.toString('utf8'))];
  params.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return url + params.map(([k, v]) => k + v).join('');
}

/** Twilio may have signed the URL with or without its default port: try both, as its own libraries do. */
function urlVariants(url: string): string[] {
  try {
    const u = new URL(url);
    const withoutPort = new URL(url);
    withoutPort.port = '';
    const withPort = new URL(url);
    // URL drops default ports, so the explicit one is added by hand.
    const defaultPort = u.protocol === 'https:' ? '443' : '80';
    const explicit = u.port ? url : withPort.toString().replace(`${withPort.host}`, `${withPort.hostname}:${defaultPort}`);
    return [...new Set([url, withoutPort.toString(), explicit])];
  } catch {
    return [url];
  }
}

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
  verify: (req, s) => {
    const header = req.headers['x-twilio-signature'];
    if (!header) return reject('missing signature');
    const given = decode(header, 'base64');
    if (!given) return reject('malformed signature');
    // Behind a proxy the URL Twilio called is not the one we see: verify.url says what it is.
    let url = req.url;
    if (s.url) {
      const search = new URL(req.url).search;
      url = s.url.includes('?') || !search ? s.url : s.url + search;
    }
    const bodyHash = new URL(url).searchParams.get('bodySHA256');
    if (bodyHash !== null && !safeEqualText(createHash('sha256').update(req.rawBody).digest('hex'), bodyHash.toLowerCase())) {
      return reject('body hash mismatch');
    }
    let ok = false;
    for (const variant of urlVariants(url)) {
      const message = signedText(variant, req);
      for (const secret of s.secrets) if (safeEqual(hmac('sha1', secret, message), given)) ok = true;
    }
    return ok ? OK : reject('signature mismatch');
  },
  sign: (body, s, ctx) => {
    const url = s.url ?? ctx.url;
    const req = { method: 'POST', url, headers: { 'content-type': ctx.contentType }, query: {}, rawBody: body, now: ctx.now };
    return { 'X-Twilio-Signature': hmac('sha1', s.secrets[0]!, signedText(url, req)).toString('base64') };
  },
  accepted: () => ({ status: 200, headers: { 'Content-Type': 'text/xml; charset=utf-8' }, body: EMPTY_TWIML }),
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
