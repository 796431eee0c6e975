import { field, text, type Scheme } from './types.js';

const INTERACTION_TYPES: Record<number, string> = {
  1: 'ping',
  2: 'application_command',
  3: 'message_component',
  4: 'application_command_autocomplete',
  5: 'modal_submit',
};

/** Discord interactions: Ed25519 X-Signature-Ed25519 over timestamp + body; PING answered. */
export const discord: Scheme = {
  name: 'discord',
  summary: 'Ed25519 X-Signature-Ed25519 over timestamp+body (publicKey); topic interaction type; id id',
  required: ['publicKey'],
  optional: ['tolerance'],
  topic: (e) => {
    const type = field(e.payload, 'type');
    return typeof type === 'number' ? (INTERACTION_TYPES[type] ?? `type_${type}`) : undefined;
  },
  id: (e) => text(e.payload, 'id'),
};
