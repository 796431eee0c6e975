// The rejections log (src/ingress/rejections.ts): bounded, newest first, and
// credential headers masked before anything is kept.
import { describe, expect, it } from 'vitest';
import { RejectionLog } from '../../src/ingress/rejections.js';

const SECRET = 'rejections-secret-not-real';
const entry = (n: number, headers: Record<string, string> = {}) => ({
  at: new Date(n).toISOString(),
  source: 's',
  method: 'POST',
  path: `/hooks/s/${n}`,
  status: 401,
  reason: 'signature mismatch',
  headers,
});

describe('RejectionLog', () => {
  it('lists newest first, and keeps only the last `capacity`', () => {
    const log = new RejectionLog(3);
    for (let i = 1; i <= 5; i++) log.add(entry(i), []);
    expect(log.list().map((r) => r.path)).toEqual(['/hooks/s/5', '/hooks/s/4', '/hooks/s/3']);
  });

  it('keeps 500 by default', () => {
    const log = new RejectionLog();
    for (let i = 0; i < 600; i++) log.add(entry(i), []);
    expect(log.list()).toHaveLength(500);
    expect(log.list().at(-1)!.path).toBe('/hooks/s/100');
  });

  it('masks credential headers by name and known secrets anywhere in a header', () => {
    const log = new RejectionLog();
    log.add(entry(1, { authorization: 'Bearer abc', 'x-hub-signature-256': 'sha256=00', 'x-echo': `token=${SECRET}`, 'x-plain': 'fine' }), [SECRET]);
    const [r] = log.list();
    expect(JSON.stringify(r)).not.toContain(SECRET);
    expect(r!.headers['x-hub-signature-256']).toBe('***');
    expect(r!.headers['authorization']).not.toContain('abc');
    expect(r!.headers['x-plain']).toBe('fine');
  });

  it('a list handed out is a copy: changing it changes nothing kept', () => {
    const log = new RejectionLog();
    log.add(entry(1), []);
    log.list().pop();
    expect(log.list()).toHaveLength(1);
  });
});
