import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../src/observe/redact.js';

describe('redaction', () => {
  const r = createRedactor(['fake-secret-123', 'https://hooks.slack.com/services/TFAKE/BFAKE/fake', 'fake-secret-123-longer']);

  it('masks secret values anywhere in text, longest first', () => {
    expect(r.text('a fake-secret-123-longer b fake-secret-123')).toBe('a *** b ***');
  });

  it('keeps the origin of a secret URL', () => {
    expect(r.text('POST https://hooks.slack.com/services/TFAKE/BFAKE/fake')).toBe('POST https://hooks.slack.com/***');
  });

  it('masks credential headers by name, keeping the auth scheme', () => {
    expect(r.headers({ Authorization: 'Bearer abc', 'X-Hub-Signature-256': 'sha256=00', 'X-Api-Key': 'k', Accept: 'json' })).toEqual({
      Authorization: 'Bearer ***',
      'X-Hub-Signature-256': '***',
      'X-Api-Key': '***',
      Accept: 'json',
    });
  });
});
