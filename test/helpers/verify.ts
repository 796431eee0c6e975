// A source's verification as the server runs it, for unit tests of one scheme:
// the verify block goes through the real config loader, so the settings are
// exactly what a routes.yaml with that block would give.
import { expect } from 'vitest';
import type { VerifySettings } from '../../src/verify/types.js';
import type { EventView, SignedRequest, Verdict } from '../../src/verify/types.js';
import { load } from './config.js';

export function settingsFor(verify: Record<string, unknown>): VerifySettings {
  const { config, errors } = load(`version: 1
sources:
  in:
    path: /in
    verify: ${JSON.stringify(verify)}
routes: []
`);
  expect(errors).toEqual([]);
  return config!.sources.get('in')!.verify;
}

/** Problems the loader reports for a verify block (empty when it loads). */
export function verifyErrors(verify: Record<string, unknown>): string[] {
  return load(`version: 1
sources:
  in:
    path: /in
    verify: ${JSON.stringify(verify)}
routes: []
`).errors;
}

export interface RequestParts {
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  now?: number;
}

export function signedRequest(parts: RequestParts): SignedRequest {
  const url = parts.url ?? 'https://hooks.example.com/hooks/in';
  const rawBody = Buffer.isBuffer(parts.body) ? parts.body : Buffer.from(parts.body ?? '', 'utf8');
  const headers = Object.fromEntries(Object.entries(parts.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return { method: parts.method ?? 'POST', url, headers, query: Object.fromEntries(new URL(url).searchParams), rawBody, now: parts.now ?? Date.now() };
}

export function verdict(settings: VerifySettings, parts: RequestParts): Verdict {
  return settings.scheme.verify(signedRequest(parts), settings);
}

export async function topicOf(settings: VerifySettings, view: Partial<EventView>): Promise<string | undefined> {
  return settings.scheme.topic?.({ headers: {}, query: {}, payload: undefined, ...view });
}

export async function idOf(settings: VerifySettings, view: Partial<EventView>): Promise<string | undefined> {
  return settings.scheme.id?.({ headers: {}, query: {}, payload: undefined, ...view });
}

/** Headers as `switchboard send` would sign them, lower-cased. */
export function signHeaders(settings: VerifySettings, body: string | Buffer, ctx: { url?: string; contentType?: string; now?: number; id?: string } = {}): Record<string, string> {
  const out = settings.scheme.sign!(Buffer.isBuffer(body) ? body : Buffer.from(body), settings, {
    url: ctx.url ?? 'https://hooks.example.com/hooks/in',
    now: ctx.now ?? Date.now(),
    id: ctx.id ?? 'delivery-1',
    contentType: ctx.contentType ?? 'application/json',
  });
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k.toLowerCase(), String(v)]));
}
