// OpenTelemetry traces (SPEC §8), on only when an OTLP endpoint is configured
// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). The SDK
// is imported at start-up then, and only then: with traces off no OpenTelemetry
// module is loaded and `tracing()` returns undefined, so every hook in the hot
// path is one branch.
//
// Two kinds of span: a receipt span per webhook request (a child of the
// sender's `traceparent` when there is one), and one span per delivery attempt.
// An attempt runs later, maybe after a restart, so it is linked to the receipt
// span (whose traceparent is kept with the event under TRACE_HEADER) rather
// than made its child. Attributes name sources, routes, targets, topics, ids,
// status codes and outcomes: never header values, bodies or secrets.
import type { Attributes, Link, Span, SpanContext, TextMapGetter, Tracer } from '@opentelemetry/api';
import type { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Logger } from './log.js';
import { VERSION } from '../version.js';
import { errorMessage } from '../lib/errors.js';

/**
 * Where the receipt span's traceparent is kept: in the event's stored headers,
 * under a name of our own (no schema change; the incoming `traceparent`, when
 * there was one, is the sender's span, not ours). Ingress overwrites or drops
 * whatever a request sends under this name.
 */
export const TRACE_HEADER = 'x-switchboard-traceparent';

export interface ReceiptSpan {
  /** This span's W3C traceparent: stored with the event, the attempts link to it. */
  readonly traceparent: string;
  set(attributes: Attributes): void;
  /** The request was refused: the reason code (bounded, never the request's text). */
  refused(code: string): void;
  /** Ends the span with the answer's status (5xx marks it as an error). */
  end(status: number): void;
  /** An exception escaped the handler. */
  fail(err: unknown): void;
}

export interface AttemptInfo {
  readonly route: string;
  readonly target: string;
  readonly kind: string;
  /** The delivery's try number (1 for the first). */
  readonly attempt: number;
  readonly deliveryId: string;
  readonly eventId: string;
  readonly method: string;
  /** The receipt span to link to (a W3C traceparent), when the event has one. */
  readonly link?: string | undefined;
  /** Epoch ms; now when unset. */
  readonly startedAt?: number;
}

export interface AttemptEnd {
  readonly status?: number | undefined;
  /** Bounded: the HTTP status, `timeout`, `egress_refused`, `refused_permanently`, `planning`, `error`… */
  readonly errorClass?: string | undefined;
  /** Already masked (the text the inspector keeps). */
  readonly error?: string | undefined;
  readonly durationMs: number;
}

export interface AttemptSpan {
  /** To send with the call (HTTP header, broker message header). */
  readonly traceparent: string;
  end(result: AttemptEnd): void;
}

export interface Tracing {
  receipt(source: string, method: string, path: string, headers: Readonly<Record<string, string>>): ReceiptSpan;
  attempt(info: AttemptInfo): AttemptSpan;
}

let active: (Tracing & { shutdown(): Promise<void> }) | undefined;
let starting: Promise<void> | undefined;
let users = 0;

/** The live tracer, or undefined when traces are off (the only cost of a hook then). */
export function tracing(): Tracing | undefined {
  return active;
}

/** Whether traces are on for this environment (an OTLP endpoint is set and the SDK is not disabled). */
export function tracesWanted(env: NodeJS.ProcessEnv): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
}

/** The URL spans are posted to: the traces endpoint as given, or the general one with `/v1/traces`. */
export function tracesUrl(env: NodeJS.ProcessEnv): string | undefined {
  const own = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (own) return own;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!base) return undefined;
  return base.endsWith('/') ? `${base}v1/traces` : `${base}/v1/traces`;
}

/**
 * Starts traces when the environment asks for them (a no-op otherwise: nothing
 * is imported). Every start is matched by a stopTracing(); servers in one
 * process share the provider.
 */
export async function startTracing(env: NodeJS.ProcessEnv, log: Logger): Promise<boolean> {
  if (!tracesWanted(env)) return false;
  users++;
  starting ??= (async () => {
    try {
      active = await load(env, log);
      log.info({ endpoint: safeUrl(tracesUrl(env) ?? ''), service: serviceName(env) }, 'traces: sending spans over OTLP/HTTP');
    } catch (err) {
      // Traces must never stop webhooks: the server runs without them.
      log.warn({ err: errorMessage(err) }, 'traces: OpenTelemetry could not be started; running without traces');
    }
  })();
  await starting;
  if (active) return true;
  // Could not start: this caller will not stop it; a later start tries again.
  if (--users === 0) starting = undefined;
  return false;
}

/** How long stopping waits for the last spans to be sent: a collector that is down must not hold up a shutdown. */
export const FLUSH_TIMEOUT_MS = 3000;

/** Flushes the spans not yet sent and stops the exporter (after the last server using it stops), within FLUSH_TIMEOUT_MS. */
export async function stopTracing(): Promise<void> {
  if (users === 0) return;
  users--;
  if (users > 0) return;
  await starting;
  const was = active;
  active = undefined;
  starting = undefined;
  if (!was) return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_TIMEOUT_MS)));
  await Promise.race([was.shutdown().catch(() => undefined), late]);
  clearTimeout(timer);
}

function serviceName(env: NodeJS.ProcessEnv): string {
  return env.OTEL_SERVICE_NAME?.trim() || 'switchboard';
}

/** The endpoint as logged: without user info or query (a collector token may sit there). */
function safeUrl(text: string): string {
  try {
    const u = new URL(text);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'an invalid URL';
  }
}

const getter: TextMapGetter<Readonly<Record<string, string>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

/** OpenTelemetry's own complaints (a collector that cannot be reached): a warning at most once a minute. */
const DIAG_EVERY_MS = 60_000;

async function load(env: NodeJS.ProcessEnv, log: Logger): Promise<Tracing & { shutdown(): Promise<void> }> {
  const [api, core, sdk, resources, otlp] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/core'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  const resource = resources
    .defaultResource()
    .merge(resources.detectResources({ detectors: [resources.envDetector] }))
    .merge(resources.resourceFromAttributes({ 'service.name': serviceName(env), 'service.version': VERSION }));
  // The URL is given explicitly so that the environment passed in (not only process.env) decides; headers,
  // timeout and compression still come from the OTEL_EXPORTER_OTLP_* variables.
  const exporter = new otlp.OTLPTraceExporter({ url: tracesUrl(env)! });
  const provider: BasicTracerProvider = new sdk.BasicTracerProvider({ resource, spanProcessors: [new sdk.BatchSpanProcessor(exporter)] });
  const tracer: Tracer = provider.getTracer('switchboard', VERSION);
  const propagator: W3CTraceContextPropagator = new core.W3CTraceContextPropagator();
  const { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } = api;
  let warnedAt = -Infinity;
  const warn = (message: string) => {
    const now = Date.now();
    if (now - warnedAt < DIAG_EVERY_MS) return;
    warnedAt = now;
    log.warn({ problem: message.length > 200 ? `${message.slice(0, 200)}…` : message }, 'traces: spans could not be exported (repeats are not logged for a minute)');
  };
  const ignore = () => undefined;
  api.diag.setLogger({ error: warn, warn: ignore, info: ignore, debug: ignore, verbose: ignore }, api.DiagLogLevel.ERROR);

  const traceparentOf = (span: Span): string => {
    const carrier: Record<string, string> = {};
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, api.defaultTextMapSetter);
    return carrier.traceparent ?? '';
  };
  const contextOf = (traceparent: string): SpanContext | undefined => {
    const ctx = propagator.extract(ROOT_CONTEXT, { traceparent }, getter);
    const sc = trace.getSpanContext(ctx);
    return sc && api.isSpanContextValid(sc) ? sc : undefined;
  };

  return {
    receipt(source, method, path, headers) {
      // An incoming traceparent (and tracestate) makes this span its child: the sender's trace goes on.
      const parent = headers.traceparent !== undefined ? propagator.extract(ROOT_CONTEXT, headers, getter) : ROOT_CONTEXT;
      const span = tracer.startSpan(`webhook ${source}`, { kind: SpanKind.SERVER, attributes: { 'switchboard.source': source, 'http.request.method': method, 'url.path': path } }, parent);
      let ended = false;
      return {
        traceparent: traceparentOf(span),
        set: (attributes) => span.setAttributes(attributes),
        refused: (code) => span.setAttributes({ 'switchboard.refused': true, 'switchboard.refusal.reason': code }),
        end(status) {
          if (ended) return;
          ended = true;
          span.setAttribute('http.response.status_code', status);
          if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `answered ${status}` });
          span.end();
        },
        fail(err) {
          if (ended) return;
          ended = true;
          span.setStatus({ code: SpanStatusCode.ERROR, message: 'internal error' });
          span.setAttribute('error.type', err instanceof Error ? err.name : 'error');
          span.end();
        },
      };
    },

    attempt(info) {
      const linked = info.link ? contextOf(info.link) : undefined;
      const links: Link[] = linked ? [{ context: linked, attributes: { 'switchboard.link': 'receipt' } }] : [];
      const span = tracer.startSpan(
        `deliver ${info.route}`,
        {
          kind: info.kind === 'http' ? SpanKind.CLIENT : SpanKind.PRODUCER,
          links,
          ...(info.startedAt !== undefined ? { startTime: info.startedAt } : {}),
          attributes: {
            'switchboard.route': info.route,
            'switchboard.target': info.target,
            'switchboard.target.kind': info.kind,
            'switchboard.attempt': info.attempt,
            'switchboard.delivery.id': info.deliveryId,
            'switchboard.event.id': info.eventId,
            ...(info.kind === 'http' ? { 'http.request.method': info.method } : {}),
          },
        },
        ROOT_CONTEXT,
      );
      const startedAt = info.startedAt ?? Date.now();
      return {
        traceparent: traceparentOf(span),
        end(result) {
          span.setAttribute('switchboard.duration_ms', result.durationMs);
          if (result.status !== undefined) span.setAttribute('http.response.status_code', result.status);
          if (result.errorClass !== undefined) {
            span.setAttribute('error.type', result.errorClass);
            span.setStatus({ code: SpanStatusCode.ERROR, ...(result.error !== undefined ? { message: result.error } : {}) });
          }
          span.end(startedAt + result.durationMs);
        },
      };
    },

    async shutdown() {
      await provider.shutdown();
      api.diag.disable();
    },
  };
}
