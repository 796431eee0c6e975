// A target kind: how a delivery leaves Switchboard (an HTTP call, a RabbitMQ
// publish, a NATS JetStream publish, an MQTT message, a Redis stream entry, an
// email, a command). One file per kind in this folder exporting a `TargetKind`,
// one line in registry.ts. The delivery engine around it is the same for every
// kind: retries with backoff, dead letters, rate limits and concurrency, every
// attempt recorded, replay, `try`/`test`.

/** A JSON-Schema fragment for one target key, with the description the docs show. */
export interface KindKey {
  readonly description: string;
  readonly [key: string]: unknown;
}

/** Where a compile problem is: the key (under the target) and what is wrong. */
export interface KindProblem {
  readonly key: string;
  readonly message: string;
}

/** What one publish carries: the transform's body and the rendered templated keys. */
export interface Message {
  /** The serialised body (the transform's value: JSON, or text for a string). */
  readonly body: Buffer;
  readonly contentType: string;
  /** The kind's templated keys (see `templated`), rendered for this delivery. */
  readonly values: Readonly<Record<string, string>>;
  /** Rendered `headers:` of the target (message headers / properties where the kind has them). */
  readonly headers: Readonly<Record<string, string>>;
  /** The idempotency key: the delivery id (with `-<n>` for the items of an `each`). */
  readonly deliveryId: string;
  readonly topic: string;
  readonly source: string;
  readonly eventId: string;
  /**
   * The delivery attempt's W3C traceparent, set when traces are on and the
   * target's headers do not set one: sent as a message header by the kinds that
   * have headers (amqp, nats, mqtt 5; a `traceparent` field on redis), ignored by
   * the others (mqtt 3.1.1, smtp, exec).
   */
  readonly traceparent?: string;
}

/** The other side's confirmation, as recorded in the attempt (e.g. "publisher confirm", "XADD 1700000000000-0"). */
export interface Confirmation {
  readonly detail: string;
}

/**
 * A failed publish. `permanent` when trying again cannot help (a queue that
 * does not exist, a 5xx SMTP reply): the delivery goes dead at once. Anything
 * else thrown is retried by the target's policy.
 */
export class PublishError extends Error {
  constructor(
    message: string,
    readonly permanent = false,
  ) {
    super(message);
  }
}

/** Nothing was sent (the time ran out waiting for a connection or session): retried, and the connection is kept. */
export class NotSent extends PublishError {}

export interface TargetKind<S = unknown, C = unknown> {
  /** `kind:` in routes.yaml. */
  readonly name: string;
  /** One line for the docs. */
  readonly summary: string;
  /** What counts as delivered (SPEC §2 "Target kinds"). */
  readonly confirmedBy: string;
  /** This kind's own target keys (besides the shared ones: kind, headers, timeout, retry, rateLimit, concurrency). */
  readonly keys: Readonly<Record<string, KindKey>>;
  readonly required: readonly string[];
  /** Keys whose text may hold {{ JSONata }} templates, rendered per delivery into `Message.values`. */
  readonly templated: readonly string[];
  /** Keys holding a URL whose password is a credential (masked everywhere). */
  readonly credentialUrls?: readonly string[];
  /** Further credentials in the settings (a NATS token in the URL's user part), masked everywhere. */
  secrets?(settings: S): readonly string[];
  /** The connection retires its own broken parts (SMTP: one session per mail): a failed publish does not close it. */
  readonly selfHealing?: boolean;
  /** The npm packages this kind loads (dynamically, only when a config uses it). */
  readonly packages?: readonly string[];
  /**
   * Checks the raw keys beyond what the schema says (e.g. `exchange` or `queue`)
   * and returns the kind's settings, or the problems.
   */
  compile(raw: Readonly<Record<string, unknown>>): S | { problems: KindProblem[] };
  /** The host and port calls go to, for the egress rules (undefined: none, e.g. exec). */
  endpoint?(settings: S): { scheme: string; host: string; port: number } | undefined;
  /**
   * How an attempt is shown (inspector, `try`, logs): a verb and a URI naming
   * where it goes, e.g. `PUBLISH amqp://127.0.0.1:5672/%2F → exchange orders, key order.created`.
   * Credentials are masked by the caller.
   */
  describe(settings: S, msg: Message): { method: string; url: string };
  /** Opens a connection (lazily, once per target; reopened after an error). Must not leave unhandled 'error' events. */
  connect?(settings: S, timeoutMs: number): Promise<C>;
  /**
   * Sends one message and resolves once the other side confirms; throws (PublishError or any error) otherwise.
   * `timeoutMs` is what is left of the target's timeout (a little less, so the kind's own timeout comes
   * first). `signal` aborts on shutdown: stop what runs (an exec child) and throw a retryable error.
   */
  publish(conn: C, msg: Message, settings: S, timeoutMs: number, signal?: AbortSignal): Promise<Confirmation>;
  /** Closes a connection (shutdown, a reload that removes the target, after an error). */
  close?(conn: C): Promise<void>;
}
