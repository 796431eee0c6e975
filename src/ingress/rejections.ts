// The last few hundred refused webhooks, in memory, so "why is GitHub getting
// 401?" can be answered at a glance (GET /admin/rejections and the inspector).
// Signature and credential header values are masked before they are kept.
import { createRedactor, type Redactor } from '../observe/redact.js';

export interface Rejection {
  readonly at: string;
  readonly source?: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly reason: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly remote?: string;
}

export class RejectionLog {
  private readonly items: Rejection[] = [];

  constructor(private readonly capacity = 500) {}

  add(r: Omit<Rejection, 'headers'> & { headers: Readonly<Record<string, string>> }, secrets: readonly string[]): void {
    const redact: Redactor = createRedactor(secrets);
    this.items.push({ ...r, headers: redact.headers(r.headers) });
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }

  /** Newest first. */
  list(): Rejection[] {
    return [...this.items].reverse();
  }
}
