// preset: slack | discord | teams | telegram on an http target: a string
// transform result becomes that service's message JSON; other results pass as they are.
import { describe, expect, it } from 'vitest';
import { planDelivery } from '../../src/delivery/plan.js';
import { load } from '../helpers/config.js';

function plan(target: string, transform: string) {
  const { config, errors } = load(`version: 1
sources:
  src: { verify: { scheme: none } }
targets:
  chat: ${target}
routes:
  - { name: r, source: src, target: chat, transform: '${transform}' }
`);
  if (!config) throw new Error(errors.join('\n'));
  const raw = Buffer.from('{"who":"ada"}');
  return planDelivery(
    config.routes[0]!,
    { id: 'evt_1', source: 'src', topic: 't', headers: {}, query: {}, payload: { who: 'ada' }, rawBody: raw, contentType: 'application/json', receivedAt: '2026-01-01T00:00:00Z' },
    'dlv_1',
  );
}

describe('chat presets', () => {
  it.each([
    ['slack', '{ url: "https://hooks.slack.com/services/x", preset: slack }', { text: 'hello ada' }],
    ['teams', '{ url: "https://example.webhook.office.com/x", preset: teams }', { text: 'hello ada' }],
    ['discord', '{ url: "https://discord.com/api/webhooks/1/x", preset: discord }', { content: 'hello ada', allowed_mentions: { parse: [] } }],
    ['telegram', '{ url: "https://api.telegram.org/botX/sendMessage", preset: telegram, chatId: -1001234 }', { chat_id: '-1001234', text: 'hello ada' }],
  ])('%s: a string becomes its message JSON', async (_name, target, expected) => {
    const p = await plan(target, '"hello " & who');
    expect(p.outcome).toBe('send');
    if (p.outcome !== 'send') return;
    expect(p.requests[0]!.value).toEqual(expected);
    expect(JSON.parse(String(p.requests[0]!.body))).toEqual(expected);
    expect(p.requests[0]!.headers['Content-Type']).toBe('application/json');
  });

  it('an object result is sent as it is (the user wrote the service JSON themselves)', async () => {
    const p = await plan('{ url: "https://hooks.slack.com/services/x", preset: slack }', '{ "blocks": [] }');
    expect(p.outcome === 'send' && p.requests[0]!.value).toEqual({ blocks: [] });
  });

  it('bad input: telegram without chatId, chatId without telegram, an unknown preset', () => {
    expect(load(`version: 1\nsources: { s: { verify: { scheme: none } } }\ntargets:\n  t: { url: "https://api.telegram.org/x", preset: telegram }\nroutes: []\n`).errors[0]).toMatch(
      /^routes\.yaml:4:\d+: targets\.t: preset telegram needs chatId/,
    );
    expect(load(`version: 1\nsources: { s: { verify: { scheme: none } } }\ntargets:\n  t: { url: "https://x.example", preset: slack, chatId: 5 }\nroutes: []\n`).errors[0]).toMatch(
      /targets\.t\.chatId: only preset telegram takes a chatId/,
    );
    expect(load(`version: 1\nsources: { s: { verify: { scheme: none } } }\ntargets:\n  t: { url: "https://x.example", preset: slak }\nroutes: []\n`).errors[0]).toMatch(
      /preset: "slak" is not one of slack, discord, teams, telegram; did you mean "slack"\?/,
    );
  });
});
