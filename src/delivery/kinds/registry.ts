// Every target kind besides HTTP, by the name used in `kind:`. Adding one: a
// file beside this one exporting a TargetKind, one line here; `npm run docs`
// regenerates the schema's target keys and the README's kinds table.
import { amqp } from './amqp.js';
import { exec } from './exec.js';
import { mqtt } from './mqtt.js';
import { nats } from './nats.js';
import { redis } from './redis.js';
import { smtp } from './smtp.js';
import type { TargetKind } from './types.js';

export const KINDS: readonly TargetKind[] = [amqp, nats, mqtt, redis, smtp, exec] as readonly TargetKind[];

export const kinds: ReadonlyMap<string, TargetKind> = new Map(KINDS.map((k) => [k.name, k] as const));
