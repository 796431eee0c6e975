// The admin API under /admin. This part: the live config (secrets masked), the
// last reload's outcome, reload on demand, and recent rejections. Events,
// replay, the inspector and metrics build on it.
import { Hono } from 'hono';
import { formatIssue } from '../config/issues.js';
import type { Config } from '../config/types.js';
import type { RejectionLog } from '../ingress/rejections.js';
import { createRedactor, MASK, SENSITIVE_HEADER, type Redactor } from '../observe/redact.js';
import type { Reloader } from '../reload.js';
import { adminAuth } from './auth.js';

export interface AdminDeps {
  config: () => Config;
  rejections: RejectionLog;
  reloader?: Reloader;
}

export function adminApp(deps: AdminDeps): Hono {
  const app = new Hono();
  app.use('*', adminAuth(deps.config));

  app.get('/config', (c) => {
    const config = deps.config();
    const state = deps.reloader?.state();
    return c.json({
      file: config.file,
      version: config.hash,
      ...(state ? { loadedAt: state.loadedAt, reloads: state.reloads, lastReload: state.last ?? null } : {}),
      warnings: config.warnings.map(formatIssue),
      config: redactDocument(config.document, createRedactor(config.secrets)),
    });
  });

  app.post('/reload', (c) => {
    if (!deps.reloader) return c.json({ error: 'this server was not started from a config file' }, 409);
    const result = deps.reloader.reload('admin API');
    return c.json(result, result.ok ? 200 : 422);
  });

  app.get('/rejections', (c) => c.json({ rejections: deps.rejections.list() }));

  return app;
}

const SECRET_KEYS = new Set(['secret', 'password', 'verifyToken', 'token']);

/** The config as written (after ${env}), with every secret field and known secret value masked. */
export function redactDocument(value: unknown, redact: Redactor, key?: string, parentKey?: string): unknown {
  if (typeof value === 'string') {
    if (key && SECRET_KEYS.has(key)) return MASK;
    if (parentKey === 'headers' && key && SENSITIVE_HEADER.test(key)) return MASK;
    return redact.text(value);
  }
  if (Array.isArray(value)) return value.map((v) => redactDocument(v, redact, key, parentKey));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDocument(v, redact, k, key)]));
  }
  return value;
}
