// `${NAME}`, `${NAME:-default}` and `${file:/path}` in routes.yaml values.
// Interpolation runs on the parsed YAML (not the raw text), so a secret holding
// quotes or newlines cannot break the file's structure, and errors keep their
// positions. Values never appear in messages: only variable names and paths do
// (`writtenAs` lets a schema error show `${DB_URL}` instead of what it held,
// and `unsubstitute` puts the reference back wherever a message quotes a value).
import { readSmallFile } from '../lib/small-file.js';
import { isPair, isScalar, isSeq, Scalar, visit, type Node } from 'yaml';
import { createRedactor, MASK } from '../observe/redact.js';
import type { ConfigIssue } from './issues.js';
import type { YamlFile } from './yamldoc.js';

const REF = /\$\$\{|\$\{([^}]*)\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Keys whose value is a credential: what is interpolated there stays text, whatever it looks like. */
const SECRET_KEYS = new Set(['secret', 'password', 'verifyToken', 'token']);

/**
 * Keys that hold settings, not credentials: a value interpolated there (a
 * timeout, a method, a header *name*) is not masked. Everything else that
 * stays text — URLs, header values, usernames, the store — is treated as secret,
 * whatever its shape: a secret need not be long or have letters in it.
 */
const SETTING_KEYS = new Set([
  'version',
  'port',
  'basePath',
  'maxBodySize',
  'lease',
  'retention',
  'timeout',
  'rateLimit',
  'concurrency',
  'attempts',
  'initialDelay',
  'maxDelay',
  'method',
  'followRedirects',
  'each',
  'scheme',
  'algorithm',
  'encoding',
  'tolerance',
  'header',
  'prefix',
  'timestampHeader',
  'signed',
  'path',
  'status',
  'name',
  'source',
  'target',
  'route',
  'topic',
  'id',
  'filter',
  'transform',
  'contentType',
  'skipped',
  'allow',
  'hosts',
  'publicUrl',
]);
/** Settings whose every value below is a setting too. */
const SETTING_SECTIONS = new Set(['topics', 'retry']);

export interface InterpolationResult {
  issues: ConfigIssue[];
  /** Every value that came from the environment or a secret file into a place that may hold a credential: masked wherever shown. */
  secrets: Set<string>;
  /** Environment variable names the file refers to (for docs and `validate`). */
  names: Set<string>;
  /** Secret files the file refers to (`${file:/path}`). */
  files: Set<string>;
  /** For each secret, the reference it came from as written (`${DB_URL}`), for messages. */
  references: Map<string, string>;
}

/** The scalars interpolation changed, with their text as written. */
const written = new WeakMap<Node, string>();

/** A scalar's text as written in the file (`${DB_URL}`), when interpolation changed it; messages show this, never the value. */
export function writtenAs(node: Node | undefined): string | undefined {
  return node ? written.get(node) : undefined;
}

/** The largest secret file read (a key or a token, not data): a bigger one is an error. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

export interface InterpolationOptions {
  /**
   * Only these `${file:…}` paths may be read (the admin preview allows the
   * files the live config reads, no others); undefined: any.
   */
  readonly files?: ReadonlySet<string>;
  /** Only these `${NAME}` may be read (the admin preview: the live config's); undefined: any. */
  readonly names?: ReadonlySet<string>;
}

/** A secret file's content: a regular file of at most MAX_SECRET_FILE_BYTES. */
function readSecretFile(path: string): { content: string } | { code: string } {
  const r = readSmallFile(path, MAX_SECRET_FILE_BYTES);
  if ('text' in r) return { content: r.text };
  if ('code' in r) return r;
  return { code: r.problem === 'directory' ? 'a directory' : r.problem === 'not-regular' ? 'not a regular file' : `over ${MAX_SECRET_FILE_BYTES / 1024} KB` };
}

export function interpolate(yaml: YamlFile, env: NodeJS.ProcessEnv, options: InterpolationOptions = {}): InterpolationResult {
  const result: InterpolationResult = { issues: [], secrets: new Set(), names: new Set(), files: new Set(), references: new Map() };
  visit(yaml.doc, {
    Scalar(key, node, path) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return;
      const original = node.value;
      const whole = /^\$\{[^}]*\}$/.test(original);
      const where = placeOf(path);
      const found: [value: string, reference: string][] = [];
      const issueAt = (valueOffset: number, message: string) => result.issues.push(yaml.issueAtOffset(yaml.valueOffsetToFile(node, valueOffset), message));
      const replaced = original.replace(REF, (match, body: string | undefined, offset: number) => {
        if (match === '$${') return '${';
        const ref = (body ?? '').trim();
        if (ref.startsWith('file:')) {
          const path = ref.slice('file:'.length).trim();
          result.files.add(path);
          if (options.files && !options.files.has(path)) {
            issueAt(offset, `"\${file:${path}}" is not read here: a preview reads only the secret files the live config reads`);
            return match;
          }
          const read = readSecretFile(path);
          if ('code' in read) {
            issueAt(offset, `cannot read secret file "${path}" (${read.code})`);
            return match;
          }
          const content = read.content.replace(/\r?\n$/, '');
          found.push([content, match]);
          return content;
        }
        const sep = ref.indexOf(':-');
        const name = sep === -1 ? ref : ref.slice(0, sep);
        if (!NAME.test(name)) {
          issueAt(offset, `"\${${ref}}" is not a valid reference: use \${NAME}, \${NAME:-default} or \${file:/path} (write $\${ for a literal \${)`);
          return '';
        }
        result.names.add(name);
        if (options.names && !options.names.has(name)) {
          issueAt(offset, `\${${name}} is not read here: a preview reads only the environment variables the live config reads`);
          return match;
        }
        const value = env[name];
        if (value !== undefined && value !== '') {
          found.push([value, `\${${name}}`]);
          return value;
        }
        // A default is written in the file itself, so it is no secret by being
        // interpolated; secret fields (verify.secret, credentials) are masked anyway.
        if (sep !== -1) return ref.slice(sep + 2);
        issueAt(offset, `environment variable ${name} is not set (set it, or give a default with \${${name}:-value})`);
        return match; // keep the reference: later checks must not add "must not be empty" too
      });
      // A credential stays text: `secret: ${TWILIO_AUTH_TOKEN}` holding 12345 must
      // not become the number 12345 (refused as "not text", the error quoting it).
      const value = whole && node.type === Scalar.PLAIN && !where.credential ? retype(replaced) : replaced;
      node.value = value;
      if (replaced !== original) written.set(node, original);
      // A number or flag, or a setting such as a timeout, is not worth masking and would garble unrelated output.
      if (typeof value === 'string' && (where.credential || !where.setting)) {
        for (const [secret, reference] of found) {
          result.secrets.add(secret);
          if (!result.references.has(secret)) result.references.set(secret, reference);
        }
      }
    },
  });
  return result;
}

/** What the key a scalar sits under says about it. */
function placeOf(path: readonly unknown[]): { credential: boolean; setting: boolean } {
  const keys: string[] = [];
  for (const p of path) if (isPair(p) && isScalar(p.key)) keys.push(String(p.key.value));
  const last = keys[keys.length - 1];
  const parent = keys[keys.length - 2];
  const inList = isSeq(path[path.length - 1]);
  // A header value (`Authorization: Bearer ${TOKEN}`) is a credential whatever the header is called.
  const credential = (last !== undefined && SECRET_KEYS.has(last)) || (parent === 'headers' && !inList);
  const setting = keys.some((k) => SETTING_SECTIONS.has(k)) || (last !== undefined && !inList && SETTING_KEYS.has(last));
  return { credential, setting };
}

/**
 * Messages with every interpolated secret they quote put back as the reference
 * it came from (`${DB_URL}`), and URL passwords masked: what `validate`,
 * start-up and a failed reload print.
 */
export function unsubstitute(issues: readonly ConfigIssue[], result: InterpolationResult): ConfigIssue[] {
  const redact = createRedactor([...result.secrets], { replace: (s) => result.references.get(s) ?? MASK });
  return issues.map((i) => {
    const message = redact.text(i.message);
    return message === i.message ? i : { ...i, message };
  });
}

/** `port: ${PORT:-8080}` should be the number 8080, as if written plainly. */
function retype(value: string): string | number | boolean {
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}
