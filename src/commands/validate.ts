import { loadForCommand, paint, type IO } from './io.js';

/** `switchboard validate`: exit 0 with a summary when the config is valid, else every error and exit 1. */
export function validateCommand(file: string, io: IO): number {
  const config = loadForCommand(file, io);
  if (!config) return 1;
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const parts = [count(config.sources.size, 'source'), count(config.targets.size, 'target'), count(config.routes.length, 'route')];
  if (config.tests.length) parts.push(count(config.tests.length, 'test'));
  const warnings = config.warnings.length ? `, ${count(config.warnings.length, 'warning')}` : '';
  io.out(`${paint(io).green('✓')} ${file} is valid: ${parts.join(', ')}${warnings}`);
  return 0;
}
