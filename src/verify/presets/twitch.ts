import { preset } from '../spec.js';

/** Twitch EventSub (webhook transport): HMAC-SHA256 of message id + timestamp + body with the subscription's secret. */
export const twitch = preset({
  name: 'twitch',
  summary: 'Twitch-Eventsub-Message-Signature sha256= hex HMAC-SHA256 of message id + timestamp + body (RFC 3339 timestamp, 10 min); challenge answered; revocations stored as revocation:<type>',
  docs: 'https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#verifying-the-event-message',
  hmac: {
    header: 'twitch-eventsub-message-signature',
    prefix: 'sha256=',
    algorithm: 'sha256',
    encoding: 'hex',
    timestampHeader: 'twitch-eventsub-message-timestamp',
    timestampFormat: 'iso8601',
    tolerance: '10m',
    signed: '{header:Twitch-Eventsub-Message-Id}{header:Twitch-Eventsub-Message-Timestamp}{body}',
  },
  keys: ['secret', 'tolerance'],
  // Twitch accepts secrets of 10 to 100 ASCII characters; any other could never match.
  checkSecret: (secret) => (/^[\x20-\x7e]{10,100}$/.test(secret) ? undefined : 'Twitch subscription secrets are 10 to 100 ASCII characters'),
  // A revocation (the subscription was ended by Twitch) is stored too, under its own topic,
  // so routes for the event itself do not fire on it and a route can watch for revocations.
  topic: {
    expr: '$headers."twitch-eventsub-message-type" = "revocation" ? "revocation:" & subscription.type : subscription.type',
    doc: '`subscription.type` (`channel.follow`, `stream.online`, …); `revocation:<subscription.type>` for revocation messages',
  },
  id: { header: 'twitch-eventsub-message-id' },
  handshake: [
    {
      doc: 'webhook_callback_verification (signed) → the challenge, as text',
      when: '$method = "POST" and $headers."twitch-eventsub-message-type" = "webhook_callback_verification"',
      respond: { status: 200, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'challenge' },
    },
  ],
  vectors: 'test/verify/vectors/twitch.json',
});
