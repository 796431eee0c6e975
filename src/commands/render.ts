// Printing planned requests for people: method, URL, headers (secrets masked)
// and a pretty body.
import type { OutgoingRequest } from '../delivery/plan.js';
import type { Redactor } from '../observe/redact.js';

export function renderRequest(req: OutgoingRequest, redact: Redactor, indent: string): string[] {
  const lines = [`${req.method} ${redact.text(req.url)}`];
  for (const [name, value] of Object.entries(redact.headers(req.headers))) lines.push(`${name}: ${value}`);
  if (req.body !== undefined) {
    lines.push('');
    lines.push(...redact.text(prettyBody(req)).split('\n'));
  }
  return lines.map((l) => (l ? indent + l : l));
}

function prettyBody(req: OutgoingRequest): string {
  if (typeof req.body === 'string') {
    if (typeof req.value !== 'string') return JSON.stringify(req.value, null, 2);
    return req.body;
  }
  const bytes = req.body ?? new Uint8Array();
  const text = Buffer.from(bytes).toString('utf8');
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** The same for `--json`: method, URL, headers and body as text, secrets masked. */
export function requestJson(req: OutgoingRequest, redact: Redactor): { method: string; url: string; headers: Record<string, string>; body?: string } {
  return {
    method: req.method,
    url: redact.text(req.url),
    headers: redact.headers(req.headers),
    ...(req.body !== undefined ? { body: redact.text(prettyBody(req)) } : {}),
  };
}
