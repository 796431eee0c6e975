// What is written about target kinds comes from their declarations: the
// schema's `kind` enum and kind keys under definitions.target, and the
// README's kinds table (`npm run docs`; test/delivery/kinds/registry.test.ts
// fails when they drift).
import { KINDS } from './registry.js';

/** The target keys written by hand in the schema: http's, and those every kind shares. */
export const HANDWRITTEN_TARGET_KEYS = ['url', 'method', 'headers', 'timeout', 'rateLimit', 'concurrency', 'retry', 'followRedirects', 'sign', 'preset', 'chatId'];

/** The generated part of definitions.target.properties: `kind` and every kind's own keys. */
export function kindProperties(): Record<string, unknown> {
  const out: Record<string, unknown> = {
    kind: {
      type: 'string',
      enum: ['http', ...KINDS.map((k) => k.name)],
      default: 'http',
      description: 'What the target is: an HTTP call (default), or amqp (RabbitMQ), nats (JetStream), mqtt, redis (a stream), smtp (email), exec (a command).',
    },
  };
  for (const kind of KINDS) {
    for (const [key, schema] of Object.entries(kind.keys)) {
      if (HANDWRITTEN_TARGET_KEYS.includes(key)) continue;
      const prev = out[key] as { description: string } | undefined;
      out[key] = prev ? { ...prev, description: `${prev.description} ${kind.name}: ${schema.description}` } : { ...schema, description: `${kind.name}: ${schema.description}` };
    }
  }
  return out;
}

export const KINDS_START = '<!-- kinds:start (generated from src/delivery/kinds by `npm run docs`) -->';
export const KINDS_END = '<!-- kinds:end -->';

export function kindsTable(): string {
  const rows = [
    '| `http` (default) | a 2xx answer | `url`, `method`, `headers`, `timeout`, `followRedirects`, `sign`, `preset`, `chatId` | `url`, header values |',
    ...KINDS.map((k) => {
      const keys = Object.keys(k.keys).map((key) => (k.required.includes(key) ? `\`${key}\` (required)` : `\`${key}\``));
      return `| \`${k.name}\` | ${k.confirmedBy.replace(/\|/g, '\\|')} | ${keys.join(', ')} | ${k.templated.length ? k.templated.map((t) => `\`${t}\``).join(', ') : '—'} |`;
    }),
  ];
  return [KINDS_START, '', '| kind | delivered when | keys | templates allowed in |', '|---|---|---|---|', ...rows, '', KINDS_END].join('\n');
}
