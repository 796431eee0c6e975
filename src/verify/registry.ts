// Every verification scheme, by the name used in `verify.scheme`. Adding a
// provider: one file beside this one, one line here, one enum entry in the schema.
import { basic } from './basic.js';
import { discord } from './discord.js';
import { github } from './github.js';
import { gitlab } from './gitlab.js';
import { hmac } from './hmac.js';
import { intercom } from './intercom.js';
import { meta } from './meta.js';
import { none } from './none.js';
import { shopify } from './shopify.js';
import { slack } from './slack.js';
import { standardWebhooks } from './standard-webhooks.js';
import { stripe } from './stripe.js';
import { token } from './token.js';
import { twilio } from './twilio.js';
import type { Scheme } from './types.js';

export const schemes: ReadonlyMap<string, Scheme> = new Map(
  [github, gitlab, stripe, slack, shopify, twilio, standardWebhooks, discord, meta, intercom, hmac, token, basic, none].map((s) => [s.name, s] as const),
);
