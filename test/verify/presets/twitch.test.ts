// The twitch preset's own code (src/verify/presets/twitch.ts): the check that
// a secret is one Twitch accepts for a subscription (10 to 100 ASCII
// characters) — any other could never match, so it is refused at load. The
// signature, topic and challenge are data, covered by test/verify/vectors/twitch.json.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { settingsFor, verdict, verifyErrors } from '../../helpers/verify.js';

const problems = (secret: string) => verifyErrors({ scheme: 'twitch', secret }).join('\n');

describe('twitch secrets (checkSecret)', () => {
  it.each(['x'.repeat(10), 'x'.repeat(100), 'with spaces ~ and ! punctuation', 'fake-twitch-secret-not-real'])('%j loads', (secret) => {
    expect(problems(secret)).toBe('');
  });

  it.each(['x'.repeat(9), 'x'.repeat(101), 'ümlaut-secret-value', 'tab\tin-the-secret', 'emoji😀-secret-value'])('%j is refused at load', (secret) => {
    expect(problems(secret)).toMatch(/Twitch subscription secrets are 10 to 100 ASCII characters/);
  });

  it('the refusal never quotes the secret', () => {
    const secret = 'short';
    expect(problems(secret)).not.toMatch(/"short"/);
  });

  it('a loaded secret signs message id + timestamp + body', () => {
    const secret = 'fake-twitch-secret-not-real';
    const s = settingsFor({ scheme: 'twitch', secret });
    const now = Date.parse('2026-01-01T00:00:00Z');
    const headers = { 'twitch-eventsub-message-id': 'm-1', 'twitch-eventsub-message-timestamp': '2026-01-01T00:00:00.123456789Z' };
    const body = '{"subscription":{"type":"channel.follow"}}';
    const sig = `sha256=${createHmac('sha256', secret).update(`m-1${headers['twitch-eventsub-message-timestamp']}${body}`).digest('hex')}`;
    expect(verdict(s, { headers: { ...headers, 'twitch-eventsub-message-signature': sig }, body, now })).toEqual({ ok: true });
    expect(verdict(s, { headers: { ...headers, 'twitch-eventsub-message-id': 'm-2', 'twitch-eventsub-message-signature': sig }, body, now }).ok).toBe(false);
  });
});
