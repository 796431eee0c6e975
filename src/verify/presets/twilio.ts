import { createHash } from 'node:crypto';
import { decode, hmac, safeEqual, safeEqualText } from '../crypto.js';
import { preset } from '../spec.js';
import { OK, reject, text, type EventView, type Reply, type SignedRequest, type Verdict, type VerifySettings } from '../types.js';

const EMPTY_TWIML: Reply = {
  status: 200,
  headers: { 'Content-Type': 'text/xml; charset=utf-8' },
  body: '<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
};

/** Code-point order (UTF-8 byte order), as Python's sorted() orders str; the same as `<` for the ASCII names Twilio uses. */
function byCodePoint(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Twilio's parameter text: names sorted; a name that comes more than once
 * contributes each of its distinct values once, in sorted order, each as
 * name + value. This is the rule of Twilio's own validators (twilio-python
 * RequestValidator.compute_signature, twilio-node toFormUrlEncodedParam), and
 * the one Twilio's servers sign with (twilio-node issue 722): the order the
 * values arrive in does not matter, and a repeated identical pair counts once.
 */
function paramText(body: Buffer): string {
  const byName = new Map<string, Set<string>>();
  for (const [k, v] of new URLSearchParams(body.toString('utf8'))) {
    const values = byName.get(k) ?? new Set<string>();
    values.add(v);
    byName.set(k, values);
  }
  let out = '';
  for (const name of [...byName.keys()].sort(byCodePoint)) {
    for (const value of [...byName.get(name)!].sort(byCodePoint)) out += name + value;
  }
  return out;
}

/**
 * The text Twilio signs: the full URL it called, then (for form posts) the
 * parameters as above. A JSON post carries the SHA-256 of its body in the
 * URL's bodySHA256 parameter instead, so only the URL is signed.
 */
function signedText(url: string, contentType: string, rawBody: Buffer): string {
  if (!contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) return url;
  return url + paramText(rawBody);
}

/** Twilio may have signed the URL with or without its port: try as given, without any port, and with the default port, as its own libraries do. */
function urlVariants(url: string): string[] {
  if (!URL.canParse(url)) return [url];
  const withoutPort = new URL(url);
  withoutPort.port = '';
  const u = new URL(url);
  // URL drops default ports, so the explicit one is written by hand.
  const defaultPort = u.protocol === 'https:' ? '443' : '80';
  const userinfo = u.username || u.password ? `${u.username}${u.password ? `:${u.password}` : ''}@` : '';
  const explicit = u.port ? url : `${u.protocol}//${userinfo}${u.hostname}:${defaultPort}${u.pathname}${u.search}${u.hash}`;
  return [...new Set([url, withoutPort.toString(), explicit])];
}

/** The URL Twilio called: `verify.url` (the address configured at Twilio, behind a proxy) with the request's query, else the request's. */
function calledUrl(req: SignedRequest, s: VerifySettings): string {
  if (!s.url) return req.url;
  const search = URL.canParse(req.url) ? new URL(req.url).search : '';
  return s.url.includes('?') || !search ? s.url : s.url + search;
}

function verifyTwilio(req: SignedRequest, s: VerifySettings): Verdict {
  const header = req.headers['x-twilio-signature'];
  if (!header) return reject('missing signature');
  const given = decode(header, 'base64');
  if (!given) return reject('malformed signature');
  const url = calledUrl(req, s);
  const bodyHash = URL.canParse(url) ? new URL(url).searchParams.get('bodySHA256') : null;
  if (bodyHash !== null && !safeEqualText(createHash('sha256').update(req.rawBody).digest('hex'), bodyHash.toLowerCase())) {
    return reject('body hash mismatch');
  }
  const contentType = req.headers['content-type'] ?? '';
  // Only form parameters are signed with the URL; any other body must be bound by bodySHA256, or a
  // signature over the bare URL would vouch for whatever body came with it.
  if (bodyHash === null && req.rawBody.length > 0 && !contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) return reject('body hash mismatch');
  let ok = false;
  for (const variant of urlVariants(url)) {
    const message = signedText(variant, contentType, req.rawBody);
    for (const key of s.keys) if (safeEqual(hmac('sha1', key, message), given)) ok = true;
  }
  return ok ? OK : reject('signature mismatch');
}

function twilioTopic(e: EventView): string {
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
}

// From the signed parameters only: the I-Twilio-Idempotency-Token header is not signed, so a
// captured request resent with a new token would pass as new. A message's status callbacks
// share its MessageSid, so the status is part of the id.
function twilioId(e: EventView): string | undefined {
  const p = e.payload;
  const sid = text(p, 'MessageSid') ?? text(p, 'SmsSid') ?? text(p, 'CallSid');
  if (!sid) return undefined;
  const status = text(p, 'MessageStatus') ?? text(p, 'SmsStatus') ?? text(p, 'CallStatus');
  return status ? `${sid}:${status}` : sid;
}

/**
 * Twilio (Messaging, Voice): X-Twilio-Signature, base64 HMAC-SHA1 with the auth token of the
 * URL Twilio called followed by the sorted form parameters (bodySHA256 in the URL for JSON posts).
 * Custom code: the URL is tried with and without its port, and repeated parameters follow
 * Twilio's own rule, which no `signed` template expresses.
 */
export const twilio = preset({
  name: 'twilio',
  summary: 'X-Twilio-Signature base64 HMAC-SHA1 (auth token) of URL + sorted form params (bodySHA256 for JSON); topic twilio.<kind>; id MessageSid/CallSid (+ status); answers empty TwiML',
  docs: 'https://www.twilio.com/docs/usage/webhooks/webhooks-security',
  verify: verifyTwilio,
  signatureHeader: 'x-twilio-signature',
  checks:
    'X-Twilio-Signature: base64 HMAC-SHA1, keyed with the auth token, of the URL Twilio called (tried as is, without its port and with the default port) followed, for form posts, by each parameter name and value sorted by name (a repeated name: each distinct value once, sorted); a JSON post is checked against the bodySHA256 in its URL',
  sign: (body, s, ctx) => {
    const url = s.url ?? ctx.url;
    return { 'X-Twilio-Signature': hmac('sha1', s.keys[0]!, signedText(url, ctx.contentType, body)).toString('base64') };
  },
  keys: ['secret', 'url'],
  required: ['secret'],
  topic: {
    get: twilioTopic,
    doc: '`twilio.message` (incoming message), `twilio.message.status` (status callback), `twilio.call`, `twilio.call.status`; `twilio.unknown` otherwise',
  },
  id: {
    get: twilioId,
    doc: 'the `I-Twilio-Idempotency-Token` header, else `MessageSid`/`SmsSid`/`CallSid` with `:<status>` when there is one',
  },
  accepted: EMPTY_TWIML,
  vectors: 'test/verify/vectors/twilio.json',
});
