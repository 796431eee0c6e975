// Reads a request body up to a limit, without ever buffering more than the
// limit: a declared Content-Length over it is refused before reading, and a
// chunked body is cut off as soon as it passes it.

import type { IncomingMessage } from 'node:http';
import { errorMessage } from '../lib/errors.js';

export type BodyRead = { ok: true; body: Buffer } | { ok: false; tooLarge: true } | { ok: false; tooLarge: false; error: string };

export async function readBody(req: Request, maxBytes: number): Promise<BodyRead> {
  const declared = req.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) return { ok: false, tooLarge: true };
  if (!req.body) return { ok: true, body: Buffer.alloc(0) };
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        return { ok: false, tooLarge: true };
      }
      chunks.push(value);
    }
  } catch (err) {
    return { ok: false, tooLarge: false, error: errorMessage(err) };
  }
  return { ok: true, body: Buffer.concat(chunks, size) };
}

/** The same, straight from Node's request stream (no web-stream adapter in between: cheaper per request). */
export async function readNodeBody(req: IncomingMessage, maxBytes: number): Promise<BodyRead> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) return { ok: false, tooLarge: true };
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      const b = chunk as Buffer;
      size += b.length;
      if (size > maxBytes) {
        req.resume(); // discard the rest without holding it
        return { ok: false, tooLarge: true };
      }
      chunks.push(b);
    }
  } catch (err) {
    return { ok: false, tooLarge: false, error: errorMessage(err) };
  }
  return { ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) };
}
