import { preset } from '../spec.js';

/**
 * Dropbox: a notification only says which accounts changed (the app then calls list_folder/continue);
 * it carries no delivery id. The endpoint is first verified with GET ?challenge=…, echoed as plain text.
 */
export const dropbox = preset({
  name: 'dropbox',
  summary: "X-Dropbox-Signature: hex HMAC-SHA256 of the body with the app secret; GET ?challenge echoed; topic list_folder (else the body's first key); no id",
  docs: 'https://www.dropbox.com/developers/reference/webhooks',
  hmac: {
    header: 'x-dropbox-signature',
    prefix: '',
    algorithm: 'sha256',
    encoding: 'hex',
    secretEncoding: 'utf8',
    signed: '{body}',
  },
  keys: ['secret'],
  required: ['secret'],
  handshake: [
    {
      doc: 'verification: GET ?challenge=… → the challenge as text/plain, nosniff (Dropbox asks for both headers against reflected XSS)',
      when: '$method = "GET" and $exists($query.challenge)',
      respond: {
        status: 200,
        headers: { 'Content-Type': 'text/plain', 'X-Content-Type-Options': 'nosniff' },
        // [0]: a repeated ?challenge= gives a list; echo the first, as text.
        body: '$query.challenge[0]',
      },
    },
  ],
  topic: {
    // The body is {"list_folder": {"accounts": […]}, "delta": {"users": […]}} (delta: the legacy v1 form);
    // a body without list_folder — delta alone, or a kind Dropbox adds later — is named by its first key.
    expr: '$exists(list_folder) ? "list_folder" : $keys($)[0]',
    doc: "`list_folder` (file changes in linked accounts), else the body's first key",
  },
  vectors: 'test/verify/vectors/dropbox.json',
});
