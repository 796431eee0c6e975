// Runs the real CLI's `serve` as a child process on an ephemeral port, the way
// a user runs it, and collects its log lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { createHmac } from 'node:crypto';
import { join, resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tempDir } from './config.js';

const ROOT = resolve(__dirname, '../..');

export interface Spawned {
  dir: string;
  url: string;
  proc: ChildProcess;
  logs: Record<string, unknown>[];
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  dbPath: string;
}

/** `dir`: reuse a previous server's directory (and store), as a restart would. */
export async function spawnServer(configText: string, env: Record<string, string> = {}, dir = tempDir('switchboard-e2e-')): Promise<Spawned> {
  const dbPath = join(dir, 'data', 'switchboard.db');
  writeFileSync(join(dir, 'routes.yaml'), configText);
  const proc = spawn(process.execPath, [join(ROOT, 'bin/switchboard.js'), 'serve', '-c', 'routes.yaml'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', PORT: '0', SWITCHBOARD_STORE: `sqlite:${dbPath}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => proc.on('close', (code, signal) => res({ code, signal })));
  const port = await new Promise<number>((res, rej) => {
    let buf = '';
    const timer = setTimeout(() => rej(new Error(`server did not start: ${err}`)), 15_000);
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (typeof entry.port === 'number' && String(entry.msg).startsWith('listening')) {
            clearTimeout(timer);
            res(entry.port);
          }
        } catch {
          logs.push({ raw: line });
        }
      }
    });
    void exit.then(() => rej(new Error(`server exited before listening: ${err}`)));
  });
  return { dir, url: `http://127.0.0.1:${port}`, proc, logs, stderr: () => err, exit, dbPath };
}

/** Reads the server's SQLite file directly, as an operator would. */
export function readDb<T>(dbPath: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** GitHub's documented signing: HMAC-SHA256 of the raw body, hex, "sha256=" prefix. */
export function githubHeaders(body: string | Buffer, secret: string, event: string, delivery?: string): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'X-GitHub-Event': event,
    ...(delivery ? { 'X-GitHub-Delivery': delivery } : {}),
    'X-Hub-Signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
  };
}

/** The first log line matching `pred`, waiting for it to arrive on the pipe (logs trail the HTTP answer slightly). */
export async function waitForLog(server: Spawned, pred: (l: Record<string, unknown>) => boolean, timeoutMs = 5000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = server.logs.find(pred);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no such log line within ${timeoutMs} ms; got:\n${server.logs.map((l) => JSON.stringify(l)).join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface Answer {
  status: number;
  body: string;
}

/** GET with exactly the Host given (none when undefined). */
export function getWithHost(server: Spawned, path: string, host: string | undefined, headers: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: 'GET', setHost: false, headers: host === undefined ? headers : { ...headers, Host: host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A raw request, for what Node's client will not send (HTTP/1.0 without Host). */
export function rawRequest(server: Spawned, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(Number(new URL(server.url).port), '127.0.0.1');
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (out += d));
    s.on('end', () => resolve(out));
    s.on('error', reject);
    s.write(text);
  });
}
