// One function turns (event, route) into the HTTP requests to make. The worker
// sends what it returns; `try` and `test` print and compare it. Same code, so a
// dry run predicts exactly what the server will send.
import type { Route } from '../config/types.js';
import { bindingsFor, type PlannedEvent } from '../event/planned.js';
import { USER_AGENT } from '../version.js';
import { kinds } from './kinds/registry.js';
import type { Message } from './kinds/types.js';

export interface OutgoingRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Serialized body (undefined for GET). */
  readonly body?: string | Uint8Array;
  /** The transform's value behind the body, for tests and display. */
  readonly value: unknown;
  /** A kind other than HTTP: what is published (method and url above only describe it). */
  readonly message?: Message;
}

export type Plan =
  { readonly outcome: 'send'; readonly requests: readonly OutgoingRequest[] } | { readonly outcome: 'filtered'; readonly reason: string } | { readonly outcome: 'error'; readonly message: string };

export interface PlanLimits {
  /** Most calls one delivery may make (server.maxFanout). */
  readonly maxFanout: number;
}

export const DEFAULT_MAX_FANOUT = 1000;

/**
 * Filter → transform → requests. `deliveryId` keys the idempotency headers, so
 * every retry of the same delivery carries the same key.
 */
export async function planDelivery(route: Route, event: PlannedEvent, deliveryId: string, limits: PlanLimits = { maxFanout: DEFAULT_MAX_FANOUT }): Promise<Plan> {
  const bindings = bindingsFor(event);
  if (route.filter) {
    let passed: unknown;
    try {
      passed = await route.filter.evaluate(event.payload, bindings);
    } catch (err) {
      return { outcome: 'error', message: `filter failed: ${describeError(err)}` };
    }
    if (!truthy(passed)) return { outcome: 'filtered', reason: `filter gave ${show(passed)}` };
  }

  let bodies: { value: unknown; body: string | Uint8Array; contentType: string }[];
  if (route.transform) {
    let result: unknown;
    try {
      result = await route.transform.evaluate(event.payload, bindings);
    } catch (err) {
      return { outcome: 'error', message: `transform failed: ${describeError(err)}` };
    }
    const items = splitEach(result, route.each);
    // Checked before anything is built per item: a 500,000-element array costs one count, not 500,000 requests.
    if (items.length > limits.maxFanout) {
      return { outcome: 'error', message: `transform gave ${items.length} items to send, more than server.maxFanout (${limits.maxFanout})` };
    }
    const kept = items.filter((v) => !isEmpty(v));
    if (kept.length === 0) return { outcome: 'filtered', reason: `transform gave ${show(result)}` };
    try {
      bodies = kept.map((value) => ({ value, ...serialize(value) }));
    } catch (err) {
      // JSON.stringify throws on values nested too deep for the stack, BigInts and cycles.
      return { outcome: 'error', message: `the transform's result could not be serialised as JSON: ${describeError(err)}` };
    }
  } else {
    // No transform: forward the payload exactly as it arrived.
    bodies = [{ value: event.payload, body: event.rawBody, contentType: event.contentType ?? 'application/octet-stream' }];
  }

  const target = route.target;
  const requests: OutgoingRequest[] = [];
  for (const [index, item] of bodies.entries()) {
    const key = bodies.length > 1 ? `${deliveryId}-${index}` : deliveryId;
    let url: string;
    const headers: Record<string, string> = {};
    const values: Record<string, string> = {};
    try {
      url = await target.url.render(event.payload, bindings, 'url');
      for (const [name, tpl] of target.headers) headers[name] = await tpl.render(event.payload, bindings, 'header');
      for (const [name, tpl] of target.kindTemplates) values[name] = await tpl.render(event.payload, bindings, 'text');
    } catch (err) {
      return { outcome: 'error', message: `target ${target.name}: template failed: ${describeError(err)}` };
    }
    if (target.kind !== 'http') {
      const kind = kinds.get(target.kind);
      if (!kind) return { outcome: 'error', message: `target ${target.name}: unknown kind "${target.kind}"` };
      const message: Message = {
        body: typeof item.body === 'string' ? Buffer.from(item.body) : Buffer.from(item.body),
        contentType: item.contentType,
        values,
        headers,
        deliveryId: key,
        topic: event.topic,
        source: event.source,
        eventId: event.id,
      };
      const shown = kind.describe(target.kindSettings, message);
      requests.push({ method: shown.method, url: shown.url, headers, body: item.body, value: item.value, message });
      continue;
    }
    if (!isHttpUrl(url)) return { outcome: 'error', message: `target ${target.name}: "${url}" is not an http(s) URL` };
    // A chat service's message for a string result (preset: slack | discord | teams | telegram).
    let body = item.body;
    let contentType = item.contentType;
    let value = item.value;
    if (target.preset && typeof item.value === 'string') {
      value = chatBody(target.preset, item.value, target.chatId);
      body = JSON.stringify(value);
      contentType = 'application/json';
    }
    const hasBody = target.method !== 'GET';
    const final: Record<string, string> = {
      ...(hasBody ? { 'Content-Type': contentType } : {}),
      'User-Agent': USER_AGENT,
      'Idempotency-Key': key,
      'webhook-id': key,
    };
    // The target's own headers win, whatever their case.
    for (const [name, value] of Object.entries(headers)) {
      for (const existing of Object.keys(final)) if (existing.toLowerCase() === name.toLowerCase()) delete final[existing];
      final[name] = value;
    }
    requests.push({ method: target.method, url, headers: final, ...(hasBody ? { body } : {}), value });
  }
  return { outcome: 'send', requests };
}

/** The JSON each chat service takes for a plain text message. */
export function chatBody(preset: 'slack' | 'discord' | 'teams' | 'telegram', text: string, chatId?: string): Record<string, unknown> {
  switch (preset) {
    case 'slack':
    case 'teams':
      return { text };
    case 'discord':
      // Text from a payload must not ping @everyone or anyone else.
      return { content: text, allowed_mentions: { parse: [] } };
    case 'telegram':
      return { chat_id: chatId ?? '', text };
  }
}

function splitEach(result: unknown, each: boolean): unknown[] {
  if (result !== null && typeof result === 'object' && !Array.isArray(result) && '$each' in result) {
    const list = (result as { $each: unknown }).$each;
    return Array.isArray(list) ? list : [list];
  }
  if (each && Array.isArray(result)) return result;
  return [result];
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

function serialize(value: unknown): { body: string; contentType: string } {
  if (typeof value === 'string') return { body: value, contentType: 'text/plain; charset=utf-8' };
  return { body: JSON.stringify(value), contentType: 'application/json' };
}

/** JSONata's notion of true: what `$boolean()` says. */
export function truthy(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (Array.isArray(v)) return v.some(truthy);
  if (typeof v === 'object') return Object.keys(v).length > 0;
  if (typeof v === 'function') return false;
  return Boolean(v);
}

function isHttpUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    return 'a value that cannot be shown as JSON';
  }
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

export function describeError(err: unknown): string {
  const e = err as { message?: string; code?: string; position?: number };
  const where = e.code ? ` (${e.code}${typeof e.position === 'number' ? ` at character ${e.position}` : ''})` : '';
  return `${e.message ?? String(err)}${where}`;
}
