// Every verification scheme, by the name used in `verify.scheme`. Adding a
// provider: one file in presets/, one line here; `npm run docs` regenerates
// the schema's verify block and the README's tables (a test fails if not).
import { basic } from './basic.js';
import { hmac } from './hmac.js';
import { none } from './none.js';
import { bitbucket } from './presets/bitbucket.js';
import { calendly } from './presets/calendly.js';
import { clerk } from './presets/clerk.js';
import { clickup } from './presets/clickup.js';
import { discord } from './presets/discord.js';
import { dropbox } from './presets/dropbox.js';
import { forgejo } from './presets/forgejo.js';
import { gitea } from './presets/gitea.js';
import { github } from './presets/github.js';
import { gitlab } from './presets/gitlab.js';
import { hubspot } from './presets/hubspot.js';
import { intercom } from './presets/intercom.js';
import { jira } from './presets/jira.js';
import { lemonsqueezy } from './presets/lemonsqueezy.js';
import { linear } from './presets/linear.js';
import { mailgun } from './presets/mailgun.js';
import { meta } from './presets/meta.js';
import { notion } from './presets/notion.js';
import { okta } from './presets/okta.js';
import { openai } from './presets/openai.js';
import { paddle } from './presets/paddle.js';
import { pagerduty } from './presets/pagerduty.js';
import { postmark } from './presets/postmark.js';
import { razorpay } from './presets/razorpay.js';
import { resend } from './presets/resend.js';
import { sendgrid } from './presets/sendgrid.js';
import { sentry } from './presets/sentry.js';
import { shopify } from './presets/shopify.js';
import { slack } from './presets/slack.js';
import { square } from './presets/square.js';
import { standardWebhooks } from './presets/standard-webhooks.js';
import { stripe } from './presets/stripe.js';
import { svix } from './presets/svix.js';
import { teams } from './presets/teams.js';
import { telegram } from './presets/telegram.js';
import { trello } from './presets/trello.js';
import { twilio } from './presets/twilio.js';
import { twitch } from './presets/twitch.js';
import { typeform } from './presets/typeform.js';
import { vercel } from './presets/vercel.js';
import { whatsapp } from './presets/whatsapp.js';
import { woocommerce } from './presets/woocommerce.js';
import { workos } from './presets/workos.js';
import { zendesk } from './presets/zendesk.js';
import { zoom } from './presets/zoom.js';
import { resolve } from './resolve.js';
import { signature } from './signature.js';
import type { PresetSpec } from './spec.js';
import { token } from './token.js';
import type { Scheme } from './types.js';

/** In the order the docs list them: provider presets by name, then the generic schemes. */
export const SPECS: readonly PresetSpec[] = [
  bitbucket,
  calendly,
  clerk,
  clickup,
  discord,
  dropbox,
  forgejo,
  gitea,
  github,
  gitlab,
  hubspot,
  intercom,
  jira,
  lemonsqueezy,
  linear,
  mailgun,
  meta,
  notion,
  okta,
  openai,
  paddle,
  pagerduty,
  postmark,
  razorpay,
  resend,
  sendgrid,
  sentry,
  shopify,
  slack,
  square,
  standardWebhooks,
  stripe,
  svix,
  teams,
  telegram,
  trello,
  twilio,
  twitch,
  typeform,
  vercel,
  whatsapp,
  woocommerce,
  workos,
  zendesk,
  zoom,
  hmac,
  signature,
  token,
  basic,
  none,
];

export const schemes: ReadonlyMap<string, Scheme> = new Map(SPECS.map((s) => [s.name, resolve(s)] as const));
