// `switchboard send <source> <payload-file>`: signs a payload the way the
// source's provider would, with the secret from the config, and posts it to a
// running server: for trying routes end to end without the real provider.
import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { signWithKey } from '../verify/engine.js';
import { signProblem } from '../verify/resolve.js';
import { hint } from '../config/didyoumean.js';
import { loadForCommand, paint, readPayloadFile, type IO } from './io.js';
import { errorMessage } from '../lib/errors.js';

export interface SendOptions {
  config: string;
  source: string;
  payloadFile: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  /** The server's base URL (default http://127.0.0.1:<port>). */
  url?: string;
  /** A private key (PEM file) for schemes signed with one (Discord, SendGrid). */
  key?: string;
}

export async function sendCommand(opts: SendOptions, io: IO): Promise<number> {
  const config = loadForCommand(opts.config, io);
  if (!config) return 1;
  const source = config.sources.get(opts.source);
  if (!source) {
    io.err(`unknown source "${opts.source}"${hint(opts.source, config.sources.keys())} (sources: ${[...config.sources.keys()].join(', ')})`);
    return 1;
  }
  const scheme = source.verify.scheme;
  let privateKey: KeyObject | undefined;
  if (opts.key !== undefined) {
    if (scheme.engine !== 'signature') {
      io.err(`--key is for schemes signed with a private key; ${scheme.name} signs with the config's secret`);
      return 2;
    }
    try {
      privateKey = createPrivateKey(readFileSync(opts.key));
    } catch (err) {
      io.err(`--key ${opts.key}: not a readable private key (PEM): ${errorMessage(err).split('\n')[0]}`);
      return 1;
    }
  }
  const problem = privateKey ? undefined : signProblem(scheme, source.verify);
  if (problem) {
    io.err(
      `switchboard send cannot sign for the ${scheme.name} scheme: ${problem}.${scheme.engine === 'signature' ? " Give the sender's private key with --key private.pem (a test key pair, never the provider's)." : ''}`,
    );
    return 1;
  }
  const loaded = readPayloadFile(opts.payloadFile, opts.headers['content-type']);
  if ('error' in loaded) {
    io.err(loaded.error);
    return 1;
  }
  const base = (opts.url ?? `http://127.0.0.1:${config.server.port}`).replace(/\/+$/, '');
  const search = new URLSearchParams(opts.query).toString();
  const url = `${base}${config.server.basePath}${source.path}${search ? `?${search}` : ''}`;
  const body = Buffer.from(loaded.raw);
  const ctx = { url, now: Date.now(), id: randomUUID(), contentType: loaded.contentType, headers: opts.headers };
  const signed = privateKey ? signWithKey(body, source.verify, ctx, privateKey) : scheme.sign!(body, source.verify, ctx);
  const headers: Record<string, string> = { 'Content-Type': loaded.contentType, ...signed, ...opts.headers };
  if (scheme.name === 'github' && !Object.keys(headers).some((h) => h.toLowerCase() === 'x-github-event')) {
    io.err(paint(io).yellow(`note: GitHub names the event in a header; add -H 'X-GitHub-Event: <event>' (e.g. issue_comment) for its topic`));
  }
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    io.err(`cannot reach ${url}${cause ? ` (${cause})` : ''}: is \`switchboard serve\` running? (--url sets where)`);
    return 3;
  }
  const text = await res.text();
  const c = paint(io);
  io.out(`${res.ok ? c.green(`HTTP ${res.status}`) : c.red(`HTTP ${res.status}`)} ${url}`);
  if (text) io.out(text);
  return res.ok ? 0 : 1;
}
