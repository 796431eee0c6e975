import { preset } from '../spec.js';

/** Trello webhooks: X-Trello-Webhook, base64 HMAC-SHA1 of the body followed by the callback URL, with the app's secret. */
export const trello = preset({
  name: 'trello',
  summary: "X-Trello-Webhook base64 HMAC-SHA1 of body + callback URL (the app's OAuth secret; url = the callbackURL registered); HEAD probe answered",
  docs: 'https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/#webhook-signatures',
  hmac: {
    header: 'x-trello-webhook',
    prefix: '',
    algorithm: 'sha1',
    encoding: 'base64',
    signed: '{body}{url}',
  },
  keys: ['secret', 'url'],
  topic: { path: 'action.type' },
  id: { path: 'action.id' },
  handshake: [
    {
      doc: 'HEAD request when a webhook is created (unsigned, no body) → 200',
      when: '$method = "HEAD"',
      respond: { status: 200 },
    },
  ],
  vectors: 'test/verify/vectors/trello.json',
});
