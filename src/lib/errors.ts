// What a caught value says, for logs and error text: an Error's message (or the
// `message` of an error-shaped object, as JSONata throws), else the value as text.

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string') return err.message;
  return String(err);
}
