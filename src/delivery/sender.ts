// Outgoing HTTP: pooled keep-alive connections per origin (undici), a time
// limit per call, redirects only when the target allows them, and at most the
// first 4 KiB of any answer read (a 50 MB reply costs 4 KiB).
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import type { Target } from '../config/types.js';
import type { OutgoingRequest } from './plan.js';

export const RESPONSE_EXCERPT_BYTES = 4096;

export interface SendResult {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /** The first 4 KiB of the answer's body. */
  readonly body?: string;
  /** Why there is no answer: a timeout, a refused or reset connection… */
  readonly error?: string;
  readonly durationMs: number;
}

export class Sender {
  private readonly agent = new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: 64 });
  private readonly following: Dispatcher = this.agent.compose(interceptors.redirect({ maxRedirections: 5 }));

  async send(req: OutgoingRequest, target: Target): Promise<SendResult> {
    const started = performance.now();
    const took = () => Math.round((performance.now() - started) * 100) / 100;
    // One deadline for the whole call, cleared as soon as it ends (AbortSignal.timeout
    // would keep a timer and its signal alive for the full timeout after every call).
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DOMException('deadline', 'TimeoutError')), target.timeoutMs);
    try {
      const res = await request(req.url, {
        method: req.method as Dispatcher.HttpMethod,
        headers: req.headers,
        ...(req.body !== undefined ? { body: req.body } : {}),
        dispatcher: target.followRedirects ? this.following : this.agent,
        headersTimeout: target.timeoutMs,
        bodyTimeout: target.timeoutMs,
        signal: deadline.signal,
      });
      const body = await readExcerpt(res.body);
      return { status: res.statusCode, headers: flatHeaders(res.headers), body, durationMs: took() };
    } catch (err) {
      return { error: describe(err, target.timeoutMs), durationMs: took() };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}

async function readExcerpt(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const b = chunk as Buffer;
      chunks.push(b);
      size += b.length;
      if (size >= RESPONSE_EXCERPT_BYTES) break; // leaving the loop destroys the stream: the rest is never read
    }
  } catch {
    // A body cut off mid-way still gives what arrived.
  }
  if (size < RESPONSE_EXCERPT_BYTES) body.destroy();
  return Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8');
}

function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function describe(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  if (e.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || e.name === 'AbortError') {
    return `timeout: no answer within ${timeoutMs} ms`;
  }
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset by the target';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH') return 'request body length mismatch';
  return `${e.message ?? String(err)}${code ? ` (${code})` : ''}`;
}
