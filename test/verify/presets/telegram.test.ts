// The telegram preset's own code (src/verify/presets/telegram.ts): the check
// that a secret is one setWebhook would take — any other could never match, so
// it is refused at load. Verification itself (a token header) and the topic
// are data, covered by test/verify/vectors/telegram.json.
import { describe, expect, it } from 'vitest';
import { settingsFor, verdict, verifyErrors } from '../../helpers/verify.js';

const problems = (secret: string) => verifyErrors({ scheme: 'telegram', secret }).join('\n');

describe('telegram secrets (checkSecret)', () => {
  it.each(['a', 'A-Za-z0-9_-', 'x'.repeat(256), 'fake_telegram-secret-0123'])('%j loads', (secret) => {
    expect(problems(secret)).toBe('');
  });

  it.each(['x'.repeat(257), 'has space', 'dot.ted', 'slash/', 'plus+', 'ümlaut', 'tab\there', 'new\nline', 'emoji😀'])('%j is refused at load', (secret) => {
    expect(problems(secret)).toMatch(/Telegram secret tokens are 1 to 256 characters of A-Z, a-z, 0-9, _ and -/);
  });

  it('the refusal never quotes the secret', () => {
    const secret = 'not allowed secret value with spaces';
    expect(problems(secret)).not.toContain(secret);
  });

  it('a loaded secret is compared whole, in the header setWebhook names', () => {
    const s = settingsFor({ scheme: 'telegram', secret: 'fake_telegram-secret-0123' });
    expect(verdict(s, { headers: { 'x-telegram-bot-api-secret-token': 'fake_telegram-secret-0123' }, body: '{}' })).toEqual({ ok: true });
    expect(verdict(s, { headers: { 'x-telegram-bot-api-secret-token': 'fake_telegram-secret-012' }, body: '{}' })).toMatchObject({ ok: false, reason: 'token mismatch' });
    expect(verdict(s, { headers: { 'x-telegram-bot-api-secret-token': 'fake_telegram-secret-01234' }, body: '{}' })).toMatchObject({ ok: false, reason: 'token mismatch' });
    expect(verdict(s, { headers: {}, body: '{}' })).toMatchObject({ ok: false, reason: 'missing token' });
  });
});
