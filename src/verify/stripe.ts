import { text, type Scheme } from './types.js';

/** Stripe: Stripe-Signature `t=…,v1=…`, HMAC-SHA256 of `t.body`; topic `type`. */
export const stripe: Scheme = {
  name: 'stripe',
  summary: 'Stripe-Signature t=,v1= HMAC-SHA256 of "t.body", 5 min tolerance; topic type; id id',
  required: ['secret'],
  optional: ['tolerance'],
  topic: (e) => text(e.payload, 'type'),
  id: (e) => text(e.payload, 'id'),
};
