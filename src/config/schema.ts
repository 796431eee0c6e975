// Validation against schemas/routes.schema.json, with Ajv's errors rewritten
// into positioned, human messages ("did you mean" included).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { hint } from './didyoumean.js';
import { writtenAs } from './env.js';
import type { ConfigIssue } from './issues.js';
import { parseDuration, parseRate, parseSize } from './units.js';
import type { PathSegment, YamlFile } from './yamldoc.js';

export const SCHEMA_PATH = fileURLToPath(new URL('../../schemas/routes.schema.json', import.meta.url));

const FORMAT_HELP: Record<string, string> = {
  duration: 'a duration like 500ms, 5s, 10m, 1h or 7d',
  size: 'a size like 512kb or 1mb',
  rate: 'a rate like 10/s, 30/m or 1000/h',
  uri: 'an absolute URL like https://example.com/path',
};

let validator: ValidateFunction | undefined;

export function loadSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
}

function getValidator(): ValidateFunction {
  if (validator) return validator;
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: false, allowUnionTypes: true });
  // ajv-formats is CommonJS with a default export; under NodeNext it arrives wrapped.
  const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => void;
  addFormats(ajv);
  ajv.addFormat('duration', { type: 'string', validate: (s: string) => parseDuration(s) !== undefined });
  ajv.addFormat('size', { type: 'string', validate: (s: string) => parseSize(s) !== undefined });
  ajv.addFormat('rate', { type: 'string', validate: (s: string) => parseRate(s) !== undefined });
  validator = ajv.compile(loadSchema());
  return validator;
}

export interface SchemaResult {
  issues: ConfigIssue[];
  /** Paths (as `/a/b/0`) that have a schema error; semantic checks skip them. */
  badPaths: string[];
}

export function validateSchema(yaml: YamlFile, data: unknown): SchemaResult {
  const validate = getValidator();
  if (validate(data)) return { issues: [], badPaths: [] };
  const issues: ConfigIssue[] = [];
  const badPaths: string[] = [];
  const seen = new Set<string>();
  for (const err of validate.errors ?? []) {
    const rendered = render(yaml, err);
    if (!rendered) continue;
    const key = `${rendered.line}:${rendered.col}:${rendered.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(rendered);
    badPaths.push(err.instancePath);
  }
  return { issues, badPaths };
}

function segments(instancePath: string): PathSegment[] {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** `sources.github.verify.scheme`, `routes[2].target` */
export function dotted(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out || '(top level)';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

const TYPE_NAMES: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'text',
  object: 'a mapping (key: value)',
  array: 'a list',
  boolean: 'true or false',
};

function render(yaml: YamlFile, err: ErrorObject): ConfigIssue | undefined {
  const path = segments(err.instancePath);
  const where = dotted(path);
  const p = err.params as Record<string, unknown>;
  // A value from the environment is quoted as written (`${DB_URL}`), never as what it held.
  const written = typeof err.data !== 'object' ? writtenAs(yaml.node(path)) : undefined;
  if (written !== undefined) err = { ...err, data: written };
  switch (err.keyword) {
    case 'if':
      return undefined; // the failing `then` branch reports the real problem
    case 'additionalProperties': {
      const name = String(p.additionalProperty);
      const known = Object.keys((err.parentSchema?.properties as Record<string, unknown>) ?? {});
      if (known.length === 0) return yaml.issueAt([...path, name], `${where}: "${name}" is not allowed here`, { key: true });
      return yaml.issueAt([...path, name], `unknown key "${name}" in ${where}${hint(name, known)}`, { key: true });
    }
    case 'required':
      return yaml.issueAt(path, `${where}: missing required key "${String(p.missingProperty)}"`, { key: true });
    case 'type': {
      const types = String(p.type)
        .split(',')
        .map((t) => TYPE_NAMES[t] ?? t);
      return yaml.issueAt(path, `${where}: expected ${types.join(' or ')}, got ${describe(err.data)}`);
    }
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String);
      const got = String(err.data);
      return yaml.issueAt(path, `${where}: "${got}" is not one of ${allowed.join(', ')}${hint(got, allowed)}`);
    }
    case 'const':
      return yaml.issueAt(path, `${where}: must be ${JSON.stringify(p.allowedValue)}`);
    case 'format': {
      const help = FORMAT_HELP[String(p.format)] ?? `format ${String(p.format)}`;
      return yaml.issueAt(path, `${where}: expected ${help}, got ${describe(err.data)}`);
    }
    case 'pattern':
      return yaml.issueAt(path, `${where}: ${patternHelp(path, err.data)}`);
    case 'propertyNames':
      return undefined; // reported by the nested `pattern` error with the name itself
    case 'minProperties':
      return yaml.issueAt(path, `${where}: must have at least ${String(p.limit)} entr${p.limit === 1 ? 'y' : 'ies'}`);
    case 'minItems':
      return yaml.issueAt(path, `${where}: must have at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}`);
    case 'minLength':
      return yaml.issueAt(path, `${where}: must not be empty`);
    case 'minimum':
    case 'maximum':
      return yaml.issueAt(path, `${where}: must be ${err.keyword === 'minimum' ? 'at least' : 'at most'} ${String(p.limit)}, got ${String(err.data)}`);
    default:
      return yaml.issueAt(path, `${where}: ${err.message ?? 'is invalid'}`);
  }
}

function patternHelp(path: readonly PathSegment[], data: unknown): string {
  const last = path[path.length - 1];
  const got = JSON.stringify(data);
  if (last === 'store') return `expected sqlite:<path> or postgres://…, got ${got}`;
  if (last === 'path' || last === 'basePath') return `must start with "/" (got ${got})`;
  if (last === 'publicKey') return 'expected a 64-character hex Ed25519 public key';
  if (last === 'name') return `${got} may only use letters, digits, "_", "-" and "."`;
  if (path[path.length - 2] === 'hosts') return `expected a host name, optionally with a port (admin.example.com, admin.example.com:8443), got ${got}`;
  return `${got} is not a valid name: use letters, digits, "_" and "-"`;
}
