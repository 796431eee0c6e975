// The `verify:` keys every scheme shares, as JSON-Schema fragments. A scheme
// lists which of them a user may set (spec.keys); schemes with keys of their
// own declare them in `extraKeys`. The schema's `verify` block is built from
// these and the registry (schema-gen.ts).
import type { KeySchema } from './spec.js';

const duration = { type: ['string', 'integer'], description: '' };

export const SHARED_KEYS: Readonly<Record<string, KeySchema>> = {
  secret: {
    type: ['string', 'array'],
    minLength: 1,
    minItems: 1,
    items: { type: 'string', minLength: 1 },
    description: 'Signing secret or token; a list accepts any of them (rotation).',
  },
  secretEncoding: {
    type: 'string',
    enum: ['utf8', 'base64', 'hex', 'whsec'],
    default: 'utf8',
    description: 'hmac: how the secret is written: utf8 (as is), base64, hex, or whsec (base64 after "whsec_").',
  },
  algorithm: {
    type: 'string',
    enum: ['sha1', 'sha256', 'sha512', 'ed25519', 'ecdsa-p256-sha256', 'rsa-sha256'],
    description: 'hmac: the hash (sha1, sha256 — the default —, sha512); signature: ed25519, ecdsa-p256-sha256 or rsa-sha256.',
  },
  encoding: { type: 'string', enum: ['hex', 'base64', 'base64url'], default: 'hex', description: 'hmac, signature: how the signature is written.' },
  header: { type: 'string', minLength: 1, description: 'hmac, signature: the header holding the signature; token: the header holding the token (default Authorization).' },
  signatureFrom: { type: 'string', minLength: 1, description: 'hmac, signature: a dotted path into the parsed body holding the signature (instead of a header).' },
  prefix: { type: 'string', description: 'Text before the signature in the header (e.g. sha256=); token: before the token (default "Bearer " for Authorization).' },
  format: {
    type: 'object',
    additionalProperties: false,
    required: ['signature'],
    properties: {
      pairs: { type: 'string', minLength: 1, default: ',', description: 'Separator between items (";" for Paddle).' },
      kv: { type: 'string', minLength: 1, default: '=', description: "Separator between an item's key and value." },
      signature: { type: 'string', minLength: 1, description: 'Key of the signature(s); any one may match.' },
      timestamp: { type: 'string', minLength: 1, description: 'Key of the timestamp, when it is inside the header.' },
    },
    description: 'hmac, signature: a structured header such as "t=1,v1=ab,v1=cd".',
  },
  timestampHeader: { type: 'string', minLength: 1, description: 'hmac, signature: the header holding the signing time; enables the age check.' },
  timestampFrom: { type: 'string', minLength: 1, description: 'hmac, signature: a dotted path into the parsed body holding the signing time.' },
  timestampFormat: { type: 'string', enum: ['seconds', 'ms', 'iso8601'], default: 'seconds', description: 'How the signing time is written.' },
  tolerance: { ...duration, description: 'How old (or how far in the future) a signed timestamp may be; 0 does not check.', default: '5m' },
  signed: {
    type: 'string',
    minLength: 1,
    default: '{body}',
    description: 'hmac, signature: the signed text, from {body}, {timestamp}, {method}, {url}, {path}, {header:Name}, {field:json.path}, {form:sorted} and literal text.',
  },
  url: { type: 'string', format: 'uri', description: 'The URL configured at the provider, for schemes that sign it (Twilio, Square, Trello) when it differs from what the server sees.' },
  verifyToken: { type: 'string', minLength: 1, description: "The token a handshake compares ($tokenEquals), e.g. Meta's hub.verify_token." },
  publicKey: { type: 'string', minLength: 1, description: "signature: the sender's public key: PEM, or hex/base64 (DER, or the raw 32 bytes of an Ed25519 key)." },
  username: { type: 'string', minLength: 1, description: 'basic: the user name.' },
  password: { type: 'string', minLength: 1, description: 'basic: the password.' },
};

/** The engine keys a preset's own settings may be overridden with. */
export const ENGINE_KEYS = [
  'header',
  'signatureFrom',
  'prefix',
  'algorithm',
  'encoding',
  'secretEncoding',
  'format',
  'timestampHeader',
  'timestampFrom',
  'timestampFormat',
  'tolerance',
  'signed',
] as const;

/** Keys whose values are credentials (masked everywhere). */
export const CREDENTIAL_KEYS = new Set(['secret', 'password', 'verifyToken']);
