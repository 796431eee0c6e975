// Human-friendly quantities used in routes.yaml: durations, sizes and rates.
// Each parser returns undefined for bad input so callers (and the JSON Schema's
// custom formats) can turn that into a positioned config error.
import type { Rate } from '../lib/token-bucket.js';

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION_RE = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/i;

/** `500ms`, `5s`, `1.5m`, `1h`, `7d` → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_RE.exec(text);
  if (!m) return undefined;
  const unit = DURATION_UNITS[m[2]!.toLowerCase()]!;
  return Math.round(Number(m[1]) * unit);
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  k: 1024,
  mb: 1024 ** 2,
  m: 1024 ** 2,
  gb: 1024 ** 3,
  g: 1024 ** 3,
};

const SIZE_RE = /^\s*(\d+(?:\.\d+)?)\s*(b|kb?|mb?|gb?|kib|mib|gib)?\s*$/i;

/** `1mb`, `512kb`, `100b`, `2048` → bytes (binary multiples: 1kb = 1024 bytes). */
export function parseSize(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isInteger(text) && text >= 0 ? text : undefined;
  const m = SIZE_RE.exec(text);
  if (!m) return undefined;
  const unitName = (m[2] ?? 'b').toLowerCase().replace('ib', 'b');
  const unit = SIZE_UNITS[unitName];
  if (unit === undefined) return undefined;
  return Math.floor(Number(m[1]) * unit);
}

// A rate is what a token bucket (lib/) runs on.
export type { Rate };

const RATE_UNITS: Record<string, number> = {
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
};

const RATE_RE = /^\s*(\d+(?:\.\d+)?)\s*\/\s*([a-z]+)\s*$/i;

/** `100/s`, `30/m`, `1000/h` → { count, perMs }. */
export function parseRate(text: string): Rate | undefined {
  const m = RATE_RE.exec(text);
  if (!m) return undefined;
  const perMs = RATE_UNITS[m[2]!.toLowerCase()];
  const count = Number(m[1]);
  if (perMs === undefined || !(count > 0)) return undefined;
  return { count, perMs };
}

export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
