import { preset } from '../spec.js';

/** Telegram Bot API webhooks: X-Telegram-Bot-Api-Secret-Token carries the secret_token given to setWebhook. */
export const telegram = preset({
  name: 'telegram',
  summary: 'X-Telegram-Bot-Api-Secret-Token equals the secret_token set with setWebhook; topic the update kind; id update_id',
  docs: 'https://core.telegram.org/bots/api#setwebhook',
  token: { header: 'x-telegram-bot-api-secret-token', prefix: '' },
  keys: ['secret'],
  // setWebhook refuses any other secret_token, so such a secret could never match.
  checkSecret: (secret) => (/^[A-Za-z0-9_-]{1,256}$/.test(secret) ? undefined : 'Telegram secret tokens are 1 to 256 characters of A-Z, a-z, 0-9, _ and -'),
  // An Update holds update_id and exactly one optional field naming its kind.
  topic: {
    expr: '$keys($)[$ != "update_id"][0]',
    doc: 'the update kind: the field beside `update_id` (`message`, `edited_message`, `callback_query`, `channel_post`, …)',
  },
  id: { path: 'update_id' },
  vectors: 'test/verify/vectors/telegram.json',
});
