import { preset } from '../spec.js';

/** Slack (Events API, slash commands, interactivity): X-Slack-Signature `v0=` HMAC-SHA256 of `v0:{timestamp}:{body}`. */
export const slack = preset({
  name: 'slack',
  summary: 'X-Slack-Signature v0= hex HMAC-SHA256 of "v0:{timestamp}:{body}" (X-Slack-Request-Timestamp, 5 min); url_verification and ssl_check answered',
  docs: 'https://api.slack.com/authentication/verifying-requests-from-slack',
  hmac: {
    header: 'x-slack-signature',
    prefix: 'v0=',
    algorithm: 'sha256',
    encoding: 'hex',
    timestampHeader: 'x-slack-request-timestamp',
    timestampFormat: 'seconds',
    tolerance: '5m',
    signed: 'v0:{timestamp}:{body}',
  },
  keys: ['secret', 'tolerance'],
  // Events API posts JSON (`event.type`); slash commands post a form with `command`;
  // interactivity posts a form whose `payload` field is JSON with its own `type` (the body
  // parser hands over that JSON itself when `payload` is the form's only field).
  topic: {
    expr: '$exists(command) ? "command:" & command : $contains($lowercase($headers."content-type"), "x-www-form-urlencoded") ? "interaction:" & ($exists(type) ? type : $json(payload).type) : $exists(event.type) ? event.type : type',
    doc: '`event.type`, else `type` (Events API); `command:/name` for slash commands; `interaction:<payload.type>` for interactivity',
  },
  id: { path: 'event_id' },
  handshake: [
    {
      doc: 'Events API url_verification (signed) → echo the challenge as JSON',
      when: '$method = "POST" and type = "url_verification"',
      respond: { status: 200, headers: { 'Content-Type': 'application/json' }, body: '{ "challenge": challenge }' },
    },
    {
      doc: 'slash-command ssl_check=1 probe (sent unsigned) → 200, empty',
      when: '$method = "POST" and ssl_check = "1"',
      respond: { status: 200 },
      unsigned: true,
    },
  ],
  vectors: 'test/verify/vectors/slack.json',
});
