// The signed payload, shared by the bench's processes (the load generator imports
// only this, so it starts nothing and creates nothing).
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SECRET = 'bench-secret-not-real';
/** Wall-clock milliseconds with sub-millisecond resolution, comparable across the bench's processes. */
export const now = () => performance.timeOrigin + performance.now();

// The payload: the fixture's GitHub issue_comment with a longer comment (~7 KB: a 3,400-character comment),
// `comment` moved last and `body` last inside it, so the body ends with a
// per-request token. The README's transform copies comment.body into the Slack
// text, so the token reaches the sink with no help from the server: the sink
// reads it back and the generator's ack matches the sink's arrival exactly.
export const TOKEN_MARK = '~bench:';
const TOKEN_LENGTH = 36; // a UUID
const fixture = JSON.parse(readFileSync(join(ROOT, 'fixtures/github/issue_comment.created.json'), 'utf8'));
const { comment, ...rest } = fixture;
const { body: _body, ...commentRest } = comment;
const placeholder = '0'.repeat(TOKEN_LENGTH);
const template = JSON.stringify({ ...rest, comment: { ...commentRest, body: `${'x'.repeat(3400)}${TOKEN_MARK}${placeholder}` } });
const at = template.lastIndexOf(placeholder);
const PREFIX = Buffer.from(template.slice(0, at));
const SUFFIX = Buffer.from(template.slice(at + TOKEN_LENGTH));
export const PAYLOAD_SIZE = PREFIX.length + TOKEN_LENGTH + SUFFIX.length;

// HMAC-SHA256 with the key's pads and the fixed prefix hashed once: per request only
// the token and the few bytes after it are hashed, so signing costs the generator
// microseconds and the generator stays well ahead of the server it loads.
const key = Buffer.alloc(64);
Buffer.from(SECRET).copy(key);
const inner = createHash('sha256')
  .update(Buffer.from(key.map((b) => b ^ 0x36)))
  .update(PREFIX);
const outer = createHash('sha256').update(Buffer.from(key.map((b) => b ^ 0x5c)));

/** The fixed start of every body: the body is PREFIX + the tail from signedTail(). */
export { PREFIX };

/** The per-request end of the body for `token` (36 characters) and the body's signature: `{ tail, signature }`. */
export function signedTail(token) {
  const tail = Buffer.concat([Buffer.from(token), SUFFIX]);
  const innerDigest = inner.copy().update(tail).digest();
  return { tail, signature: `sha256=${outer.copy().update(innerDigest).digest('hex')}` };
}

/** A fresh signed body for `token`: `{ body, signature }`. */
export function signedBody(token) {
  const { tail, signature } = signedTail(token);
  return { body: Buffer.concat([PREFIX, tail]), signature };
}
{
  // the shortcut must agree with the real thing
  const t = '12345678-1234-4234-8234-123456789abc';
  const { body, signature } = signedBody(t);
  if (signature !== `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`) throw new Error('bench: signedBody disagrees with createHmac');
  const parsed = JSON.parse(body.toString());
  if (!parsed.comment.body.endsWith(`${TOKEN_MARK}${t}`)) throw new Error('bench: the token is not at the end of comment.body');
}

/** The token at the end of a delivered body (the Slack text ends with comment.body), or undefined. */
export function tokenIn(text) {
  const i = text.lastIndexOf(TOKEN_MARK);
  return i < 0 ? undefined : text.slice(i + TOKEN_MARK.length, i + TOKEN_MARK.length + TOKEN_LENGTH);
}
