// Small helpers the kinds share.

/**
 * How much longer than its timeout a publish may wait for the answer to
 * something it already handed over and cannot take back (an SMTP message
 * whose end was sent): reporting it failed would send it again.
 */
export const SETTLE_GRACE_MS = 5000;

export function deadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
