// `${NAME}`, `${NAME:-default}` and `${file:/path}` in routes.yaml values.
// Interpolation runs on the parsed YAML (not the raw text), so a secret holding
// quotes or newlines cannot break the file's structure, and errors keep their
// positions. Values never appear in messages: only variable names and paths do.
import { readFileSync } from 'node:fs';
import { Scalar, visit } from 'yaml';
import type { ConfigIssue } from './issues.js';
import type { YamlFile } from './yamldoc.js';

const REF = /\$\$\{|\$\{([^}]*)\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface InterpolationResult {
  issues: ConfigIssue[];
  /** Every value that came from the environment or a secret file: masked wherever shown. */
  secrets: Set<string>;
  /** Environment variable names the file refers to (for docs and `validate`). */
  names: Set<string>;
}

export function interpolate(yaml: YamlFile, env: NodeJS.ProcessEnv): InterpolationResult {
  const result: InterpolationResult = { issues: [], secrets: new Set(), names: new Set() };
  visit(yaml.doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return;
      const original = node.value;
      const whole = /^\$\{[^}]*\}$/.test(original);
      const issueAt = (valueOffset: number, message: string) =>
        result.issues.push(yaml.issueAtOffset(yaml.valueOffsetToFile(node, valueOffset), message));
      const replaced = original.replace(REF, (match, body: string | undefined, offset: number) => {
        if (match === '$${') return '${';
        const ref = (body ?? '').trim();
        if (ref.startsWith('file:')) {
          const path = ref.slice('file:'.length).trim();
          try {
            const content = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
            result.secrets.add(content);
            return content;
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
            issueAt(offset, `cannot read secret file "${path}" (${code})`);
            return match;
          }
        }
        const sep = ref.indexOf(':-');
        const name = sep === -1 ? ref : ref.slice(0, sep);
        if (!NAME.test(name)) {
          issueAt(offset, `"\${${ref}}" is not a valid reference: use \${NAME}, \${NAME:-default} or \${file:/path} (write $\${ for a literal \${)`);
          return '';
        }
        result.names.add(name);
        const value = env[name];
        if (value !== undefined && value !== '') {
          result.secrets.add(value);
          return value;
        }
        // A default is written in the file itself, so it is no secret by being
        // interpolated; secret fields (verify.secret, credentials) are masked anyway.
        if (sep !== -1) return ref.slice(sep + 2);
        issueAt(offset, `environment variable ${name} is not set (set it, or give a default with \${${name}:-value})`);
        return match; // keep the reference: later checks must not add "must not be empty" too
      });
      node.value = whole && node.type === Scalar.PLAIN ? retype(replaced) : replaced;
    },
  });
  // Short or numeric values (ports, flags) are not worth masking and would
  // garble unrelated output if they were.
  for (const s of result.secrets) if (s.length < 6 || /^\d+$/.test(s)) result.secrets.delete(s);
  return result;
}

/** `port: ${PORT:-8080}` should be the number 8080, as if written plainly. */
function retype(value: string): string | number | boolean {
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}

