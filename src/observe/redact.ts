// Secrets never leave the process in output: not in logs, errors, the
// inspector, `try` output or metrics. Everything shown goes through here.

export const MASK = '***';

/** Header names whose values are credentials, shown masked everywhere. */
export const SENSITIVE_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|x-auth-token|x-access-token)$|secret|token|signature|password|hmac/i;


export interface Redactor {
  text(value: string): string;
  headers(headers: Readonly<Record<string, string>>): Record<string, string>;
}

export function createRedactor(secrets: readonly string[]): Redactor {
  const sorted = [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  const text = (value: string) => {
    let out = value;
    for (const s of sorted) if (out.includes(s)) out = out.split(s).join(maskFor(s));
    return out;
  };
  return {
    text,
    headers(headers) {
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(headers)) {
        if (SENSITIVE_HEADER.test(name)) {
          const scheme = /^(Bearer|Basic|Token)\s/i.exec(value)?.[1];
          out[name] = scheme ? `${scheme} ${MASK}` : MASK;
        } else out[name] = text(value);
      }
      return out;
    },
  };
}

/** A URL secret (a Slack webhook URL, say) keeps its origin visible; the rest is hidden. */
function maskFor(secret: string): string {
  if (/^https?:\/\//i.test(secret)) {
    try {
      return `${new URL(secret).origin}/${MASK}`;
    } catch {
      return MASK;
    }
  }
  return MASK;
}
