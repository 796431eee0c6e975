import { preset } from '../spec.js';

/**
 * Postmark signs nothing: a webhook URL may carry HTTP Basic credentials
 * (https://user:pass@host/path), which Postmark sends as an Authorization header.
 */
export const postmark = preset({
  name: 'postmark',
  summary: 'HTTP Basic credentials set in the webhook URL (Postmark signs nothing); topic RecordType (Inbound for inbound mail); id RecordType:MessageID:recipient:event time',
  docs: 'https://postmarkapp.com/developer/webhooks/webhooks-overview',
  basic: true,
  keys: ['username', 'password'],
  required: ['username', 'password'],
  topic: {
    expr: '$exists(RecordType) ? RecordType : ($exists(FromFull) or $exists(MailboxHash) ? "Inbound")',
    doc: '`RecordType` (`Delivery`, `Bounce`, `SpamComplaint`, `Open`, `Click`, `SubscriptionChange`); `Inbound` for inbound mail, which has none',
  },
  // MessageID alone names the message, not the event: a message to three recipients has three
  // Delivery events, and each open or click of it another, all with the same MessageID. Postmark sends
  // no delivery id, so the id is built from what tells them apart (stable across Postmark's retries).
  id: {
    expr: '$join($filter([RecordType, MessageID, $exists(Recipient) ? Recipient : Email, $string(ID), DeliveredAt, BouncedAt, ReceivedAt, ChangedAt, OriginalLink], function($v) { $type($v) = "string" and $v != "" }), ":")',
    doc: '`RecordType:MessageID:recipient`, then the bounce `ID` and the event time (and the link, for clicks): MessageID alone is shared by every recipient, open and click of a message; inbound mail: its `MessageID`',
  },
  vectors: 'test/verify/vectors/postmark.json',
});
