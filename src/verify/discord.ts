import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { checkTimestamp, decode } from './crypto.js';
import { field, OK, reject, text, type Scheme } from './types.js';

// A raw 32-byte Ed25519 key becomes a KeyObject by prefixing the fixed SPKI header.
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');
const keys = new Map<string, KeyObject>();

function publicKey(hex: string): KeyObject {
  let k = keys.get(hex);
  if (!k) {
    k = createPublicKey({ key: Buffer.concat([SPKI_ED25519, Buffer.from(hex, 'hex')]), format: 'der', type: 'spki' });
    keys.set(hex, k);
  }
  return k;
}

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
  verify: (req, s) => {
    const sigHex = req.headers['x-signature-ed25519'];
    if (!sigHex) return reject('missing signature');
    const sig = decode(sigHex, 'hex');
    if (!sig || sig.length !== 64) return reject('malformed signature');
    const ts = req.headers['x-signature-timestamp'];
    const fresh = checkTimestamp(ts, req.now, s.toleranceMs);
    if (!fresh.ok) return fresh;
    const ok = verifySignature(null, Buffer.concat([Buffer.from(ts!), req.rawBody]), publicKey(s.publicKey!), sig);
    return ok ? OK : reject('signature mismatch');
  },
  // Discord checks an interactions endpoint with a signed PING that must get a PONG.
  handshake: (payload) => (field(payload, 'type') === 1 ? { status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"type":1}' } : undefined),
  topic: (e) => {
    const type = field(e.payload, 'type');
    return typeof type === 'number' ? (INTERACTION_TYPES[type] ?? `type_${type}`) : undefined;
  },
  id: (e) => text(e.payload, 'id'),
};
