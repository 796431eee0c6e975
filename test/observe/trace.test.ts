// src/observe/trace.ts in-process: when traces are on, where spans go, and
// that stopping flushes what the batch has not sent yet (the schedule is left
// at its 5 s default, so only the flush can deliver them within the test).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observe/log.js';
import { FLUSH_TIMEOUT_MS, startTracing, stopTracing, tracesUrl, tracesWanted, tracing } from '../../src/observe/trace.js';

const lines: string[] = [];
const log = createLogger(
  {},
  new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  }),
);

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  links?: { traceId: string; spanId: string }[];
  attributes: { key: string; value: Record<string, unknown> }[];
  status?: { code?: number; message?: string };
}

async function receiver(): Promise<{ url: string; spans: () => Span[]; close: () => Promise<void> }> {
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') bodies.push(body);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans: () => bodies.flatMap((b) => (JSON.parse(b) as { resourceSpans: { scopeSpans: { spans: Span[] }[] }[] }).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const attrs = (s: Span) => Object.fromEntries(s.attributes.map((a) => [a.key, Object.values(a.value)[0]]));

afterEach(async () => {
  await stopTracing();
});

describe('traces: on or off', () => {
  it('are on only with an OTLP endpoint, and not when the SDK is disabled', () => {
    expect(tracesWanted({})).toBe(false);
    expect(tracesWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBe(false);
    expect(tracesWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracesWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracesWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' })).toBe(false);
  });

  it('post to <endpoint>/v1/traces, or to the traces endpoint as given', () => {
    expect(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe('http://collector:4318/v1/traces');
    expect(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toBe('http://collector:4318/v1/traces');
    expect(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:9999/custom' })).toBe('http://b:9999/custom');
  });

  it('off: startTracing does nothing and there is no tracer', async () => {
    expect(await startTracing({}, log)).toBe(false);
    expect(tracing()).toBeUndefined();
  });
});

describe('traces on', () => {
  it('stopping flushes the spans: a receipt continuing the sender’s trace, an attempt linked to it', async () => {
    const r = await receiver();
    try {
      expect(await startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: r.url }, log)).toBe(true);
      const t = tracing()!;
      const receipt = t.receipt('gh', 'POST', '/hooks/gh', { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'x-secret': 'not-an-attribute' });
      receipt.set({ 'switchboard.topic': 'push' });
      receipt.end(200);
      expect(receipt.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
      const attempt = t.attempt({ route: 'r', target: 't', kind: 'http', attempt: 2, deliveryId: 'dlv_1', eventId: 'evt_1', method: 'POST', link: receipt.traceparent });
      attempt.end({ status: 503, errorClass: '503', error: 'target answered 503', durationMs: 12 });
      await stopTracing();
      expect(tracing()).toBeUndefined();

      const spans = r.spans();
      const rs = spans.find((s) => s.name === 'webhook gh')!;
      const as = spans.find((s) => s.name === 'deliver r')!;
      expect(rs.parentSpanId).toBe('b7ad6b7169203331');
      expect(receipt.traceparent).toBe(`00-${rs.traceId}-${rs.spanId}-01`);
      expect(attrs(rs)).toMatchObject({ 'switchboard.source': 'gh', 'switchboard.topic': 'push', 'http.response.status_code': 200 });
      expect(JSON.stringify(rs)).not.toContain('not-an-attribute');
      expect(as.parentSpanId ?? '').toBe('');
      expect(as.links).toEqual([expect.objectContaining({ traceId: rs.traceId, spanId: rs.spanId })]);
      expect(attempt.traceparent).toBe(`00-${as.traceId}-${as.spanId}-01`);
      expect(attrs(as)).toMatchObject({ 'switchboard.attempt': 2, 'error.type': '503', 'http.response.status_code': 503 });
      expect(as.status).toMatchObject({ code: 2, message: 'target answered 503' });
    } finally {
      await r.close();
    }
  });

  it('a malformed incoming traceparent starts a new trace; an attempt without a link has none', async () => {
    const r = await receiver();
    try {
      await startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: r.url }, log);
      const receipt = tracing()!.receipt('gh', 'POST', '/hooks/gh', { traceparent: 'not-a-traceparent' });
      receipt.refused('signature_mismatch');
      receipt.end(401);
      tracing()!.attempt({ route: 'r', target: 't', kind: 'nats', attempt: 1, deliveryId: 'd', eventId: 'e', method: 'PUBLISH', link: 'garbage' }).end({ durationMs: 1 });
      await stopTracing();
      const [rs, as] = [r.spans().find((s) => s.name === 'webhook gh')!, r.spans().find((s) => s.name === 'deliver r')!];
      expect(rs.parentSpanId ?? '').toBe('');
      expect(attrs(rs)).toMatchObject({ 'switchboard.refusal.reason': 'signature_mismatch', 'http.response.status_code': 401 });
      expect(as.links ?? []).toEqual([]);
    } finally {
      await r.close();
    }
  });

  it('an unreachable collector is never an error to the caller, and stopping waits a bounded time', async () => {
    lines.length = 0;
    // A port nothing listens on: the export fails at the flush.
    const r = await receiver();
    const url = r.url;
    await r.close();
    expect(await startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: url }, log)).toBe(true);
    tracing()!.receipt('gh', 'POST', '/hooks/gh', {}).end(200);
    const started = Date.now();
    await expect(stopTracing()).resolves.toBeUndefined();
    // Bounded: the exporter's own retries would take 10 s or more.
    expect(Date.now() - started).toBeLessThan(FLUSH_TIMEOUT_MS + 1000);
    expect(lines.some((l) => l.includes('traces: sending spans'))).toBe(true);
  });
});
