// Reading a body up to a limit (src/ingress/read-body.ts), both ways the
// server gets one: a fetch Request (in-process) and Node's request stream (a
// real HTTP server on 127.0.0.1). Never more than the limit is held.
import { request as httpRequest, createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBody, readNodeBody, type BodyRead } from '../../src/ingress/read-body.js';

const LIMIT = 1000;

/** A web stream of `chunks`, counting how many were pulled. */
function streamOf(chunks: Uint8Array[], failAt?: number) {
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (failAt !== undefined && pulled === failAt) return controller.error(new Error('connection reset'));
        const next = chunks[pulled++];
        if (next) controller.enqueue(next);
        else controller.close();
      },
    },
    { highWaterMark: 0 },
  ); // nothing pulled before someone reads
  return { stream, pulled: () => pulled };
}

const post = (body: string | ReadableStream<Uint8Array> | null, headers: Record<string, string> = {}) =>
  new Request('http://h/', { method: 'POST', body, headers, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);

describe('readBody (fetch Request)', () => {
  it('reads a body up to the limit exactly', async () => {
    const r = await readBody(post('x'.repeat(LIMIT)), LIMIT);
    expect(r).toMatchObject({ ok: true });
    expect((r as { body: Buffer }).body.length).toBe(LIMIT);
  });

  it('one byte over is too large', async () => {
    expect(await readBody(post('x'.repeat(LIMIT + 1)), LIMIT)).toEqual({ ok: false, tooLarge: true });
  });

  it('a declared Content-Length over the limit is refused before anything is read', async () => {
    const { stream, pulled } = streamOf([new Uint8Array(10)]);
    expect(await readBody(post(stream, { 'content-length': String(LIMIT + 1) }), LIMIT)).toEqual({ ok: false, tooLarge: true });
    expect(pulled()).toBe(0);
  });

  it('a stream with no length is cut off at the chunk that passes the limit, not read to its end', async () => {
    const { stream, pulled } = streamOf(Array.from({ length: 100 }, () => new Uint8Array(300)));
    expect(await readBody(post(stream), LIMIT)).toEqual({ ok: false, tooLarge: true });
    expect(pulled()).toBeLessThanOrEqual(6);
  });

  it('no body is an empty body', async () => {
    expect(await readBody(new Request('http://h/', { method: 'POST' }), LIMIT)).toEqual({ ok: true, body: Buffer.alloc(0) });
  });

  it('a stream that fails is unreadable, with the reason', async () => {
    const { stream } = streamOf([new Uint8Array(10), new Uint8Array(10)], 1);
    expect(await readBody(post(stream), LIMIT)).toEqual({ ok: false, tooLarge: false, error: 'connection reset' });
  });

  it('keeps the bytes exactly, across chunks', async () => {
    const { stream } = streamOf([Uint8Array.from([0xe2, 0x82]), Uint8Array.from([0xac, 0x00, 0xff])]);
    expect(await readBody(post(stream), LIMIT)).toEqual({ ok: true, body: Buffer.from([0xe2, 0x82, 0xac, 0x00, 0xff]) });
  });
});

describe('readNodeBody (a real HTTP server)', () => {
  let server: Server;
  let port: number;
  const results: BodyRead[] = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      void readNodeBody(req, LIMIT).then((r) => {
        results.push(r);
        res.end(JSON.stringify(r.ok ? { ok: true, size: r.body.length } : r));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  /** Sends `chunks` with chunked encoding (or a Content-Length), answers what the server read. */
  function send(chunks: Buffer[], headers: Record<string, string> = {}): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(JSON.parse(text)));
      });
      req.on('error', reject);
      for (const c of chunks) req.write(c);
      req.end();
    });
  }

  it('reads a chunked body up to the limit', async () => {
    expect(await send([Buffer.alloc(500), Buffer.alloc(500)])).toEqual({ ok: true, size: 1000 });
  });

  it('a chunked body past the limit is too large', async () => {
    expect(await send([Buffer.alloc(600), Buffer.alloc(600)])).toEqual({ ok: false, tooLarge: true });
  });

  it('a declared Content-Length over the limit is too large', async () => {
    expect(await send([Buffer.alloc(LIMIT + 1)], { 'content-length': String(LIMIT + 1) })).toEqual({ ok: false, tooLarge: true });
  });

  it('an empty body is read as empty', async () => {
    expect(await send([], { 'content-length': '0' })).toEqual({ ok: true, size: 0 });
  });
});
