// Topic patterns in `routes[].topics`: `*` matches any run of characters (dots
// included), `?` exactly one; everything else is literal. `issues.*` matches
// `issues.opened`; `*` matches every topic, including the empty one.

export type TopicMatcher = (topic: string) => boolean;

export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (const ch of pattern) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[\\^$.+()|[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'su');
}

/**
 * Whether `topic` matches `pattern`, by code point, in time proportional to
 * their lengths' product at worst (a regular expression backtracks: `*a*a*a*ab`
 * against a long run of `a`s would block the event loop).
 */
export function globMatch(pattern: readonly string[], topic: readonly string[]): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < topic.length) {
    const ch = pattern[p];
    if (ch === '*') {
      star = p++;
      resume = t;
    } else if (ch !== undefined && (ch === '?' || ch === topic[t])) {
      p++;
      t++;
    } else if (star !== -1) {
      p = star + 1;
      t = ++resume;
    } else return false;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** One matcher for a route's whole `topics` list; no list means every topic. */
export function compileTopics(patterns: readonly string[] | undefined): TopicMatcher {
  if (!patterns || patterns.length === 0 || patterns.includes('*')) return () => true;
  const exact = new Set(patterns.filter((p) => !/[*?]/.test(p)));
  const globs = patterns.filter((p) => /[*?]/.test(p)).map((p) => [...p]);
  if (globs.length === 0) return (topic) => exact.has(topic);
  return (topic) => {
    if (exact.has(topic)) return true;
    const chars = [...topic];
    return globs.some((g) => globMatch(g, chars));
  };
}
