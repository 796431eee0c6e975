// A config problem, positioned in the file: what `validate` prints and what a
// failed reload records.

export interface ConfigIssue {
  file: string;
  line: number;
  col: number;
  message: string;
  severity: 'error' | 'warning';
}

/**
 * How many errors (and, separately, warnings) are listed; the rest are counted.
 * A file with 20,000 mistakes is fixed from the top, and printing, logging and
 * storing all of them only stalls the server and buries the first one.
 */
export const MAX_LISTED_ISSUES = 100;

export function formatIssue(issue: ConfigIssue): string {
  const tag = issue.severity === 'warning' ? 'warning: ' : '';
  return `${issue.file}:${issue.line}:${issue.col}: ${tag}${issue.message}`;
}

// One collator for every comparison: String#localeCompare builds one per call,
// which made sorting thousands of issues a visible share of a load.
const collator = new Intl.Collator();

export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.col - b.col || collator.compare(a.message, b.message));
}

export interface CappedIssues {
  /** Sorted by position: the first MAX_LISTED_ISSUES errors and the first MAX_LISTED_ISSUES warnings. */
  issues: ConfigIssue[];
  /** Errors found but not listed. */
  omittedErrors: number;
  omittedWarnings: number;
}

/** Sorts, removes exact repeats, and keeps the first `max` errors and `max` warnings. */
export function capIssues(all: ConfigIssue[], max = MAX_LISTED_ISSUES): CappedIssues {
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  let errors = 0;
  let warnings = 0;
  let omittedErrors = 0;
  let omittedWarnings = 0;
  for (const issue of sortIssues(all)) {
    const key = `${issue.severity}\0${issue.line}\0${issue.col}\0${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (issue.severity === 'error') {
      if (errors++ < max) issues.push(issue);
      else omittedErrors++;
    } else if (warnings++ < max) issues.push(issue);
    else omittedWarnings++;
  }
  return { issues, omittedErrors, omittedWarnings };
}

/** The line that stands for the errors not listed, or undefined when none were left out. */
export function omittedLine(file: string, omittedErrors: number): string | undefined {
  if (omittedErrors <= 0) return undefined;
  return `${file}: … and ${omittedErrors} more error${omittedErrors === 1 ? '' : 's'} (only the first ${MAX_LISTED_ISSUES} are listed; fix these and run again)`;
}

/** Thrown (or returned) when a config cannot be loaded; carries the listed problems and the count of the rest. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];
  readonly omittedErrors: number;
  constructor(issues: ConfigIssue[], omittedErrors = 0) {
    const capped = capIssues(issues);
    const omitted = omittedErrors + capped.omittedErrors;
    const more = omittedLine(issues[0]?.file ?? 'config', omitted);
    super([...capped.issues.map(formatIssue), ...(more ? [more] : [])].join('\n'));
    this.name = 'ConfigError';
    this.issues = capped.issues;
    this.omittedErrors = omitted;
  }
}
