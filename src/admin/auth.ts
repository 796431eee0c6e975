// Who may use /admin: with admin.token set, whoever presents it as a bearer
// token; without one, only requests from this machine (loopback). Forwarded-for
// headers are not trusted: behind a reverse proxy, set admin.token.
import type { Context, Next } from 'hono';
import type { Config } from '../config/types.js';
import { safeEqualText } from '../verify/crypto.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export function remoteAddress(c: Context): string | undefined {
  return (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;
}

/**
 * A state-changing request (replay, retry, reload) must come from this
 * origin: a web page elsewhere could otherwise make the operator's browser
 * post to http://localhost:8080/admin/… (a "simple" request needs no CORS
 * preflight). Browsers say where a request comes from in Sec-Fetch-Site and Origin.
 */
function crossSite(c: Context): boolean {
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return false;
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return true;
  const origin = c.req.header('origin');
  if (!origin) return false;
  try {
    return new URL(origin).host !== (c.req.header('host') ?? '');
  } catch {
    return true;
  }
}

export function adminAuth(config: () => Config) {
  return async (c: Context, next: Next) => {
    if (crossSite(c)) return c.json({ error: 'cross-site request refused' }, 403);
    const token = config().admin.token;
    if (token) {
      const given = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]?.trim() ?? '';
      if (!safeEqualText(given, token)) {
        return c.json({ error: given ? 'wrong admin token' : 'admin token required (Authorization: Bearer …)' }, 401, { 'WWW-Authenticate': 'Bearer realm="switchboard admin"' });
      }
      return next();
    }
    const addr = remoteAddress(c);
    if (!addr || !LOOPBACK.has(addr)) {
      return c.json({ error: 'the admin API answers only this machine until admin.token is set' }, 403);
    }
    return next();
  };
}
