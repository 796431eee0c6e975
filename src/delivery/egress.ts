// Where outgoing calls may go (guarantee 8).
import type { Config } from '../config/types.js';

export function hostOf(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return url;
  }
}

export function egressAllowed(host: string, config: Config): boolean {
  return config.egress.hosts.has(host) || config.egress.patterns.some((suffix) => host.endsWith(suffix));
}
