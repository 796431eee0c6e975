// Each preset's topic and delivery-id rules, on payloads shaped like the provider's.
import { describe, expect, it } from 'vitest';
import { schemes } from '../../src/verify/registry.js';
import type { EventView } from '../../src/verify/types.js';

const ev = (payload: unknown, headers: Record<string, string> = {}): EventView => ({ payload, headers, query: {} });
const scheme = (name: string) => {
  const s = schemes.get(name);
  if (!s) throw new Error(`no scheme ${name}`);
  return s;
};

describe('topic and id presets', () => {
  it('github: event header + action; X-GitHub-Delivery', () => {
    const s = scheme('github');
    const e = ev({ action: 'created' }, { 'x-github-event': 'issue_comment', 'x-github-delivery': 'd-1' });
    expect(s.topic!(e)).toBe('issue_comment.created');
    expect(s.id!(e)).toBe('d-1');
    expect(s.topic!(ev({ ref: 'refs/heads/main' }, { 'x-github-event': 'push' }))).toBe('push');
    expect(s.id!(ev({}))).toBeUndefined();
  });

  it('gitlab: object_kind(.action), header as fallback; X-Gitlab-Event-UUID', () => {
    const s = scheme('gitlab');
    expect(s.topic!(ev({ object_kind: 'merge_request', object_attributes: { action: 'open' } }))).toBe('merge_request.open');
    expect(s.topic!(ev({ object_kind: 'push' }))).toBe('push');
    expect(s.topic!(ev({}, { 'x-gitlab-event': 'System Hook' }))).toBe('System Hook');
    expect(s.id!(ev({}, { 'x-gitlab-event-uuid': 'u-1' }))).toBe('u-1');
  });

  it('stripe: type; id', () => {
    const s = scheme('stripe');
    const e = ev({ id: 'evt_1', type: 'invoice.paid' });
    expect([s.topic!(e), s.id!(e)]).toEqual(['invoice.paid', 'evt_1']);
  });

  it('slack: event.type, else type; event_id', () => {
    const s = scheme('slack');
    expect(s.topic!(ev({ type: 'event_callback', event: { type: 'app_mention' }, event_id: 'Ev1' }))).toBe('app_mention');
    expect(s.topic!(ev({ type: 'url_verification', challenge: 'c' }))).toBe('url_verification');
    expect(s.id!(ev({ event_id: 'Ev1' }))).toBe('Ev1');
  });

  it('shopify: X-Shopify-Topic; X-Shopify-Webhook-Id', () => {
    const s = scheme('shopify');
    const e = ev({}, { 'x-shopify-topic': 'orders/create', 'x-shopify-webhook-id': 'w-1' });
    expect([s.topic!(e), s.id!(e)]).toEqual(['orders/create', 'w-1']);
  });

  it('twilio: message, message status, call; idempotency token first', () => {
    const s = scheme('twilio');
    expect(s.topic!(ev({ MessageSid: 'SM1', Body: 'hi', SmsStatus: 'received' }))).toBe('twilio.message');
    expect(s.topic!(ev({ MessageSid: 'SM1', MessageStatus: 'delivered' }))).toBe('twilio.message.status');
    expect(s.topic!(ev({ CallSid: 'CA1', CallStatus: 'ringing' }))).toBe('twilio.call');
    expect(s.topic!(ev({ CallSid: 'CA1', CallStatus: 'completed' }))).toBe('twilio.call.status');
    expect(s.topic!(ev({}))).toBe('twilio.unknown');
    expect(s.id!(ev({ MessageSid: 'SM1', MessageStatus: 'sent' }))).toBe('SM1:sent');
    expect(s.id!(ev({ MessageSid: 'SM1', MessageStatus: 'sent' }, { 'i-twilio-idempotency-token': 'tok' }))).toBe('tok');
  });

  it('standard-webhooks: type; webhook-id (svix-id too)', () => {
    const s = scheme('standard-webhooks');
    expect(s.topic!(ev({ type: 'user.created' }))).toBe('user.created');
    expect(s.id!(ev({}, { 'webhook-id': 'msg_1' }))).toBe('msg_1');
    expect(s.id!(ev({}, { 'svix-id': 'msg_2' }))).toBe('msg_2');
  });

  it('discord: interaction type names; id', () => {
    const s = scheme('discord');
    expect(s.topic!(ev({ type: 1, id: 'i1' }))).toBe('ping');
    expect(s.topic!(ev({ type: 2 }))).toBe('application_command');
    expect(s.topic!(ev({ type: 99 }))).toBe('type_99');
    expect(s.id!(ev({ type: 2, id: 'i1' }))).toBe('i1');
  });

  it('meta: object.field; no id', () => {
    const s = scheme('meta');
    expect(s.topic!(ev({ object: 'whatsapp_business_account', entry: [{ changes: [{ field: 'messages' }] }] }))).toBe('whatsapp_business_account.messages');
    expect(s.topic!(ev({ object: 'page', entry: [{ messaging: [{}] }] }))).toBe('page.messaging');
    expect(s.id!(ev({ object: 'page' }))).toBeUndefined();
  });

  it('intercom: topic; id', () => {
    const s = scheme('intercom');
    const e = ev({ type: 'notification_event', topic: 'conversation.user.created', id: 'notif_1' });
    expect([s.topic!(e), s.id!(e)]).toEqual(['conversation.user.created', 'notif_1']);
  });

  it('generic schemes leave topic and id to the config', () => {
    for (const name of ['hmac', 'token', 'basic', 'none']) {
      expect(scheme(name).topic).toBeUndefined();
      expect(scheme(name).id).toBeUndefined();
    }
  });

  it('never throw on odd payloads', () => {
    for (const s of schemes.values()) {
      for (const payload of [null, 'text', 42, [], { entry: 'x' }, { event: null }]) {
        expect(() => s.topic?.(ev(payload))).not.toThrow();
        expect(() => s.id?.(ev(payload))).not.toThrow();
      }
    }
  });
});
