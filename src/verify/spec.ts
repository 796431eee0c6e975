// What a verification scheme declares about itself. One file per scheme
// exports `preset({...})`; registry.ts lists them. From these declarations
// come the JSON Schema's `verify` block, the README's tables, `switchboard
// schemes`, the vector tests and `switchboard send`'s signing — so adding a
// provider is one file and one registry line.
import type { EventView, Reply, SignContext, SignedRequest, Verdict, VerifySettings } from './types.js';

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';
export type AsymmetricAlgorithm = 'ed25519' | 'ecdsa-p256-sha256' | 'rsa-sha256';
export type SignatureEncoding = 'hex' | 'base64' | 'base64url';
export type SecretEncoding = 'utf8' | 'base64' | 'hex' | 'whsec';
export type TimestampFormat = 'seconds' | 'ms' | 'iso8601';

/** A structured signature header such as `t=1,v1=ab,v1=cd` (Stripe) or `ts=1;h1=ab` (Paddle). */
export interface HeaderFormat {
  /** Separator between items. */
  readonly pairs: string;
  /** Separator inside an item, between key and value. */
  readonly kv: string;
  /** Key of the signature(s): any one may match. */
  readonly signature: string;
  /** Key of the timestamp, when it is inside the header. */
  readonly timestamp?: string;
}

/** The generic HMAC engine's settings, in routes.yaml's own words (`scheme: hmac` keys). */
export interface HmacDefaults {
  readonly header?: string;
  /** A dotted path into the parsed body holding the signature (Mailgun). */
  readonly signatureFrom?: string;
  readonly prefix?: string;
  readonly algorithm?: HmacAlgorithm;
  readonly encoding?: SignatureEncoding;
  readonly secretEncoding?: SecretEncoding;
  readonly format?: HeaderFormat;
  readonly timestampHeader?: string;
  readonly timestampFrom?: string;
  readonly timestampFormat?: TimestampFormat;
  /** A duration (`5m`); `0` does not check age. */
  readonly tolerance?: string;
  readonly signed?: string;
}

/** The asymmetric engine: the same keys, a public-key algorithm, and the user's `publicKey`. */
export interface SignatureDefaults extends Omit<HmacDefaults, 'algorithm' | 'secretEncoding'> {
  readonly algorithm?: AsymmetricAlgorithm;
}

/** A header that must equal the secret (compared in constant time). */
export interface TokenDefaults {
  readonly header?: string;
  readonly prefix?: string;
}

/** Where a preset finds an event's topic or delivery id: exactly one of path, header, expr or get. */
export interface Extract {
  /** A dotted path into the payload (`event.type`). */
  readonly path?: string;
  /** A request header. */
  readonly header?: string;
  /** JSONata over the payload; `$headers` and `$query` are bound. */
  readonly expr?: string;
  readonly get?: (e: EventView) => string | undefined;
  /** How it reads, for the README and `switchboard schemes` (derived from path/header/expr when absent). */
  readonly doc?: string;
}

/** A provider's probe, answered instead of stored. */
export interface HandshakeRuleSpec {
  /** One line for the docs. */
  readonly doc?: string;
  /** JSONata: true answers this request with `respond`. */
  readonly when: string;
  readonly respond: { readonly status?: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string };
  /**
   * A POST probe the provider sends unsigned (WooCommerce's ping, Slack's
   * ssl_check): checked before the signature. Keep `when` narrow.
   */
  readonly unsigned?: boolean;
  /**
   * Also store the probe as an event under this topic, with no deliveries (no
   * route ever sees it), so the user can read it in the inspector — for a
   * provider that hands over the endpoint's secret in its probe (Notion).
   */
  readonly record?: string;
}

/** A JSON-Schema fragment for one `verify:` key, with the description the docs show. */
export interface KeySchema {
  readonly description: string;
  readonly [key: string]: unknown;
}

export interface PresetSpec {
  readonly name: string;
  /** One line: what it checks. */
  readonly summary: string;
  /** The provider's documentation of its signatures. */
  readonly docs?: string;
  /** A generic scheme (hmac, signature, token, basic, none) rather than a provider preset. */
  readonly generic?: boolean;
  /** The preset this one is another name for (`svix` → `standard-webhooks`). */
  readonly alias?: string;

  // The engine: exactly one of hmac, signature, token, basic, none, or a custom verify.
  readonly hmac?: HmacDefaults;
  readonly signature?: SignatureDefaults;
  readonly token?: TokenDefaults;
  readonly basic?: true;
  readonly none?: true;
  /** Code for a provider no engine can express (Twilio's URL variants). */
  readonly verify?: (req: SignedRequest, settings: VerifySettings) => Verdict;
  /**
   * Rewrites a request before the engine checks it — e.g. a second family of
   * header names the same provider also sends (Svix's svix-* for webhook-*).
   */
  readonly adapt?: (req: SignedRequest) => SignedRequest;
  /**
   * The signature does not cover the whole body (Mailgun signs a timestamp and a
   * token beside the event): a signature seen with one delivery id is refused
   * with another, for as long as its timestamp is fresh.
   */
  readonly bindSignatureToId?: true;
  /** For a custom verify: the header that carries the signature (masked wherever headers are shown). */
  readonly signatureHeader?: string;
  /** Signs like the provider, for `switchboard send` (engines sign by themselves). */
  readonly sign?: (body: Buffer, settings: VerifySettings, ctx: SignContext) => Record<string, string>;
  /** For a custom verify: what it checks, for the docs. */
  readonly checks?: string;

  /** The `verify:` keys a user may set (besides `scheme`): shared names from keys.ts, or `extraKeys`. */
  readonly keys?: readonly string[];
  /** Keys that must be set (default: `secret`, or `publicKey` for the signature engine). */
  readonly required?: readonly string[];
  /** Keys only this scheme has. */
  readonly extraKeys?: Readonly<Record<string, KeySchema>>;

  readonly topic?: Extract;
  readonly id?: Extract;
  readonly handshake?: readonly HandshakeRuleSpec[];
  /** JSONata giving an array: each element becomes its own event. */
  readonly split?: string;
  /** The answer to an accepted webhook when the source sets no `respond`. */
  readonly accepted?: Reply;
  /** A config warning whenever the scheme is used (`none`). */
  readonly warning?: string;
  /** Why a secret cannot work with this scheme, or undefined. */
  readonly checkSecret?: (secret: string, settings: { readonly secretEncoding?: SecretEncoding }) => string | undefined;
  /** The published (or, where none exists, computed) test vectors, run by test/verify/vectors.test.ts. */
  readonly vectors?: string;
}

/** Declares a scheme; the registry turns it into the runtime `Scheme`. */
export function preset<const T extends PresetSpec>(spec: T): T {
  return spec;
}
