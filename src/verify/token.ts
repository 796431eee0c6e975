import { safeEqualText } from './crypto.js';
import { OK, reject, type Scheme } from './types.js';

/** A shared token in a header (default `Authorization: Bearer <token>`). */
export const token: Scheme = {
  name: 'token',
  summary: 'a header (default Authorization: Bearer) equals the secret',
  required: ['secret'],
  optional: ['header', 'prefix'],
  verify: (req, s) => {
    const header = (s.header ?? 'authorization').toLowerCase();
    const prefix = s.prefix ?? (header === 'authorization' ? 'Bearer ' : '');
    const value = req.headers[header];
    if (!value) return reject('missing token');
    if (!value.toLowerCase().startsWith(prefix.toLowerCase())) return reject('token mismatch');
    const token = value.slice(prefix.length);
    let ok = false;
    for (const secret of s.secrets) if (safeEqualText(token, secret)) ok = true;
    return ok ? OK : reject('token mismatch');
  },
  sign: (_body, s) => {
    const header = s.header ?? 'Authorization';
    const prefix = s.prefix ?? (header.toLowerCase() === 'authorization' ? 'Bearer ' : '');
    return { [header]: `${prefix}${s.secrets[0]!}` };
  },
};
