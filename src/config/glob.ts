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
  return new RegExp(`^${re}$`, 's');
}

/** One matcher for a route's whole `topics` list; no list means every topic. */
export function compileTopics(patterns: readonly string[] | undefined): TopicMatcher {
  if (!patterns || patterns.length === 0 || patterns.includes('*')) return () => true;
  const exact = new Set(patterns.filter((p) => !/[*?]/.test(p)));
  const globs = patterns.filter((p) => /[*?]/.test(p)).map(globToRegExp);
  return (topic) => exact.has(topic) || globs.some((g) => g.test(topic));
}
