// Which values the config treats as secrets, and that no config message ever
// quotes one (SPEC §1.6): all-digit and short secrets from the environment,
// URL passwords, a mistyped `store: ${DB_URL}`; and the weak-secret warning.
import { describe, expect, it } from 'vitest';
import { load, MINIMAL } from '../helpers/config.js';

const withSecret = (value: string) => MINIMAL.replace('secret: test-secret-not-real', () => `secret: ${value}`);

describe('secrets from the environment, whatever their shape', () => {
  it('an all-digit value in a secret key stays text, is a secret, and draws a weak-secret warning naming only the key', () => {
    const { config, errors, lines } = load(withSecret('${TWILIO_AUTH_TOKEN}'), { TWILIO_AUTH_TOKEN: '12345' });
    expect(errors).toEqual([]);
    expect(config!.sources.get('github')!.verify.secrets).toEqual(['12345']);
    expect(config!.secrets).toContain('12345');
    const warning = lines.find((l) => l.includes('weak secret'));
    expect(warning).toMatch(/^routes\.yaml:6:\d+: warning: sources\.github\.verify\.secret: weak secret/);
    expect(warning).not.toContain('12345');
  });

  it('an all-digit value of 8 or more is a secret too, with no warning', () => {
    const { config, lines } = load(withSecret('${GH_SECRET}'), { GH_SECRET: '12345678' });
    expect(config!.secrets).toContain('12345678');
    expect(lines.join('\n')).not.toContain('weak secret');
  });

  it('each item of a rotation list stays text', () => {
    const { config, errors } = load(withSecret('[ "${OLD}", "${NEW}" ]'), { OLD: '1234567890', NEW: 'new-fake-secret' });
    expect(errors).toEqual([]);
    expect(config!.sources.get('github')!.verify.secrets).toEqual(['1234567890', 'new-fake-secret']);
  });

  it('a header value from the environment is a secret even when the header is not named like one', () => {
    const text = MINIMAL.replace('url: http://127.0.0.1:9/sink', 'url: http://127.0.0.1:9/sink\n    headers:\n      X-Pin: ${PIN}');
    const { config, errors } = load(text, { PIN: '12345678' });
    expect(errors).toEqual([]);
    expect(config!.targets.get('sink')!.headers.map(([n, t]) => [n, t.text])).toEqual([['X-Pin', '12345678']]);
    expect(config!.secrets).toContain('12345678');
  });

  it('a number for a setting is a number, not a secret', () => {
    const { config } = load(`${MINIMAL}server:\n  port: \${SB_PORT}\n`, { SB_PORT: '9091' });
    expect(config!.server.port).toBe(9091);
    expect(config!.secrets).not.toContain('9091');
  });

  it('a schema error shows the reference as written, never what it held (a mistyped store URL with a password)', () => {
    const url = 'postgress://switchboard:fake-db-password-123@db.internal.example:5432/switchboard';
    const { errors } = load(`${MINIMAL}store: \${DB_URL}\n`, { DB_URL: url });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('${DB_URL}');
    expect(errors[0]).not.toContain('fake-db-password');
    expect(errors[0]).not.toContain('switchboard:');
  });

  it('a numeric value where text is expected: the error quotes the reference', () => {
    const text = MINIMAL.replace('url: http://127.0.0.1:9/sink', 'url: http://127.0.0.1:9/sink\n    method: ${METHOD}');
    const { errors } = load(text, { METHOD: '31415926' });
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).not.toContain('31415926');
  });
});

describe('secrets written in the file', () => {
  it('a password in the store URL or a target URL is a secret', () => {
    const text = MINIMAL.replace('url: http://127.0.0.1:9/sink', 'url: http://hook:target-pw-fake@127.0.0.1:9/sink') + 'store: postgres://sb:store-pw-fake@127.0.0.1:1/db\n';
    const { config, errors } = load(text);
    expect(errors).toEqual([]);
    expect(config!.secrets).toEqual(expect.arrayContaining(['target-pw-fake', 'store-pw-fake']));
  });

  it('a short admin token draws a warning; it is still the token', () => {
    const { config, lines } = load(`${MINIMAL}admin: { token: t }\n`);
    expect(config!.admin.token).toBe('t');
    expect(lines.filter((l) => l.includes('weak secret'))).toEqual([expect.stringMatching(/^routes\.yaml:\d+:\d+: warning: admin\.token: weak secret/)]);
  });

  it('a short token from SWITCHBOARD_ADMIN_TOKEN is named by the variable', () => {
    const { lines } = load(MINIMAL, { SWITCHBOARD_ADMIN_TOKEN: 'abc' });
    const warning = lines.find((l) => l.includes('weak secret'));
    expect(warning).toContain('SWITCHBOARD_ADMIN_TOKEN: weak secret');
    expect(warning).not.toMatch(/\babc\b/);
  });
});
