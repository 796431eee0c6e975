// The request target as the client sent it, before URL parsing resolves it.
// WHATWG URL parsing (what Hono routes on) turns `/hooks/%2e%2e/admin` and
// `/hooks\..\admin` into `/admin`, so a proxy that forwards only `/hooks/…`
// would hand out the admin API. No webhook path needs dot segments, encoded
// slashes or backslashes, so a target with any of them is refused outright.

/** Layers of percent-encoding undone while looking (`%252e` is `%2e` to a proxy that decodes once). */
const DECODE_ROUNDS = 4;

export function hasTraversal(target: string): boolean {
  const q = target.search(/[?#]/);
  const path = q === -1 ? target : target.slice(0, q);
  if (path.includes('\\')) return true;
  for (const raw of path.split('/')) {
    let segment = raw;
    for (let i = 0; ; i++) {
      if (segment === '.' || segment === '..') return true;
      if (i > 0 && /[/\\]/.test(segment)) return true;
      if (i === DECODE_ROUNDS || !segment.includes('%')) break;
      const decoded = decode(segment);
      if (decoded === segment) break;
      segment = decoded;
    }
  }
  return false;
}

/** decodeURIComponent, except that a malformed escape is decoded no further. */
function decode(text: string): string {
  return text.replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run.replace(/%(2e|2f|5c)/gi, (e) => String.fromCharCode(parseInt(e.slice(1), 16)));
    }
  });
}
