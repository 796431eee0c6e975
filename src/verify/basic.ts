import { safeEqualText } from './crypto.js';
import { OK, reject, type Scheme } from './types.js';

const CHALLENGE = { 'WWW-Authenticate': 'Basic realm="switchboard", charset="UTF-8"' };

/** HTTP Basic credentials. */
export const basic: Scheme = {
  name: 'basic',
  summary: 'HTTP Basic credentials (username, password)',
  required: ['username', 'password'],
  optional: [],
  verify: (req, s) => {
    const value = req.headers.authorization;
    if (!value || !/^basic\s+/i.test(value)) return reject('missing credentials', CHALLENGE);
    const decoded = Buffer.from(value.replace(/^basic\s+/i, ''), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon === -1 ? decoded : decoded.slice(0, colon);
    const pass = colon === -1 ? '' : decoded.slice(colon + 1);
    // Both compared, always, so timing does not tell which one was wrong.
    const userOk = safeEqualText(user, s.username!);
    const passOk = safeEqualText(pass, s.password!);
    return userOk && passOk ? OK : reject('credentials mismatch', CHALLENGE);
  },
  sign: (_body, s) => ({ Authorization: `Basic ${Buffer.from(`${s.username!}:${s.password!}`).toString('base64')}` }),
};
