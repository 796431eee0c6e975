import { preset, type PresetSpec } from '../spec.js';

// Which Messenger/Instagram webhook field a `messaging[]` item belongs to, by the key that names its kind
// (https://developers.facebook.com/docs/messenger-platform/webhooks#event-notifications). Instagram names
// a few fields differently (messaging_seen, messaging_referral, messaging_handover) and folds echoes into
// `messages`. An item of an unknown kind gets its first key other than sender/recipient/timestamp.
const TOPIC = `(
  $entry := entry[0];
  $kinds := {
    "message": "messages", "delivery": "message_deliveries", "read": "message_reads", "reaction": "message_reactions",
    "message_edit": "message_edits", "postback": "messaging_postbacks", "optin": "messaging_optins",
    "referral": "messaging_referrals", "account_linking": "messaging_account_linking", "game_play": "messaging_game_plays",
    "policy_enforcement": "messaging_policy_enforcement", "pass_thread_control": "messaging_handovers",
    "take_thread_control": "messaging_handovers", "request_thread_control": "messaging_handovers", "app_roles": "messaging_handovers"
  };
  $instagram := {
    "read": "messaging_seen", "referral": "messaging_referral", "pass_thread_control": "messaging_handover",
    "take_thread_control": "messaging_handover", "request_thread_control": "messaging_handover", "app_roles": "messaging_handover"
  };
  $ig := $$.object = "instagram";
  $kind := function($item) {(
    $key := $keys($kinds)[$exists($lookup($item, $))][0];
    $exists($key)
      ? ($key = "message" and $item.message.is_echo = true and $not($ig) ? "message_echoes"
        : $ig and $exists($lookup($instagram, $key)) ? $lookup($instagram, $key)
        : $lookup($kinds, $key))
      : $keys($item)[$not($ in ["sender", "recipient", "timestamp"])][0]
  )};
  $field := $exists($entry.changes[0].field) ? $entry.changes[0].field
    : $exists($entry.messaging[0]) ? $kind($entry.messaging[0])
    : $exists($entry.standby[0]) ? "standby"
    : $entry.changed_fields[0];
  $exists($field) ? object & "." & $field : object
)`;

/** Meta (Facebook Pages, Messenger, Instagram, WhatsApp): X-Hub-Signature-256 `sha256=` hex HMAC of the body with the app secret. */
export const metaSpec = {
  name: 'meta',
  summary: 'X-Hub-Signature-256 sha256= hex HMAC-SHA256 of the body (app secret); topic object.field; GET hub.challenge answered with verifyToken',
  docs: 'https://developers.facebook.com/docs/graph-api/webhooks/getting-started',
  hmac: {
    header: 'x-hub-signature-256',
    prefix: 'sha256=',
    algorithm: 'sha256',
    encoding: 'hex',
    signed: '{body}',
  },
  keys: ['secret', 'verifyToken'],
  required: ['secret', 'verifyToken'],
  topic: {
    expr: TOPIC,
    doc: "`object` + `.` + the first entry's field: `changes[0].field` (`page.feed`, `whatsapp_business_account.messages`), or for `messaging[]` items the field their kind belongs to (`page.messages`, `page.message_deliveries`, `page.message_reads`, `page.messaging_postbacks`, `page.message_echoes`, …), `standby` for `standby[]`",
  },
  // Meta sends no delivery id (and may re-batch on retry), so resends are not recognised.
  handshake: [
    {
      doc: 'GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=… with the right verifyToken → the challenge, as text',
      when: '$method = "GET" and $query."hub.mode" = "subscribe" and $exists($query."hub.challenge") and $tokenEquals($query."hub.verify_token")',
      respond: { status: 200, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: '$query."hub.challenge"' },
    },
    {
      doc: 'the same with a wrong or missing verify token → 403',
      when: '$method = "GET" and $exists($query."hub.challenge")',
      respond: { status: 403, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: '"verify token mismatch"' },
    },
  ],
  vectors: 'test/verify/vectors/meta.json',
} satisfies PresetSpec;

export const meta = preset(metaSpec);
