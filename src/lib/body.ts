// Webhook bodies: the raw bytes are kept (signatures are computed over them);
// the parsed payload is what topics, filters and transforms see.
import { errorMessage } from './errors.js';

export type BodyKind = 'json' | 'form' | 'text' | 'binary';

export type ParsedBody = { ok: true; kind: BodyKind; payload: unknown } | { ok: false; error: string };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export function isJsonType(media: string): boolean {
  return media === 'application/json' || media === 'text/json' || media.endsWith('+json');
}

export function parseBody(raw: Uint8Array, contentType: string | undefined): ParsedBody {
  const media = mediaType(contentType);
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    if (media === '' || media === 'application/octet-stream') return { ok: true, kind: 'binary', payload: null };
    return { ok: false, error: `body is not valid UTF-8 (content type ${media || 'unknown'})` };
  }
  if (isJsonType(media)) return parseJson(text);
  if (media === 'application/x-www-form-urlencoded') return { ok: true, kind: 'form', payload: parseForm(text) };
  if (media.startsWith('text/') || media.endsWith('+xml') || media === 'application/xml') return { ok: true, kind: 'text', payload: text };
  if (media === '') {
    // No content type: JSON if it looks like JSON, else text.
    const first = text.trimStart()[0];
    if (first === '{' || first === '[') return parseJson(text);
    return { ok: true, kind: 'text', payload: text };
  }
  return { ok: true, kind: 'binary', payload: null };
}

/**
 * Deepest nesting of arrays and objects accepted in a JSON body. V8 parses far
 * deeper documents without complaint, but serialising such a value
 * (JSON.stringify, the inspector, a `{ "data": $ }` transform) overflows the
 * stack, so they are refused at the door with 400 instead of failing later.
 */
export const MAX_JSON_DEPTH = 512;

/** The deepest bracket nesting in `text`, counted outside strings; stops early past `limit`, and is 0 when the text cannot be nested past it. */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  // Nothing shorter than 2 × limit characters can be nested past it.
  if (text.length <= limit * 2) return 0;
  // Nor anything with no more than `limit` opening brackets: counted with indexOf, which runs
  // natively, where the scan below is one JavaScript step per character (most bodies end here).
  let opening = 0;
  for (const bracket of ['{', '[']) {
    for (let at = text.indexOf(bracket); at !== -1 && opening <= limit; at = text.indexOf(bracket, at + 1)) opening++;
  }
  if (opening <= limit) return 0;
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return deepest;
}

function parseJson(text: string): ParsedBody {
  if (text.trim() === '') return { ok: true, kind: 'json', payload: null };
  if (jsonDepth(text) > MAX_JSON_DEPTH) return { ok: false, error: `body is not accepted: JSON nested more than ${MAX_JSON_DEPTH} levels deep` };
  try {
    return { ok: true, kind: 'json', payload: JSON.parse(text) as unknown };
  } catch (err) {
    const message = err instanceof RangeError ? 'nested too deeply' : errorMessage(err);
    return { ok: false, error: `body is not valid JSON: ${message}` };
  }
}

/**
 * Flat form parameters become an object; a repeated key becomes a list of its
 * values. A lone `payload` field holding JSON (GitHub's form content type) is unwrapped.
 */
export function parseForm(text: string): Record<string, string | string[]> | unknown {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const [key, value] of new URLSearchParams(text)) {
    const prev = out[key];
    if (prev === undefined) out[key] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[key] = [prev, value];
  }
  const keys = Object.keys(out);
  if (keys.length === 1 && keys[0] === 'payload' && typeof out.payload === 'string' && jsonDepth(out.payload) <= MAX_JSON_DEPTH) {
    try {
      return JSON.parse(out.payload) as unknown;
    } catch {
      // not JSON after all: keep it as a form field
    }
  }
  return { ...out };
}
