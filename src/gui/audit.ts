// The audit log: one line per written change, appended and never rewritten:
// ISO time, user, client address, what changed (the panel's words) and the
// serial_no it produced. JSON per line so a reader never has to guess quoting.
import { appendFileSync } from 'node:fs';

export interface AuditEntry {
  user: string;
  remote: string;
  what: string;
  serial: number;
  /** Lines added and removed, from the diff the user confirmed. */
  added: number;
  removed: number;
}

export function audit(path: string, e: AuditEntry, now = new Date()): void {
  appendFileSync(path, `${JSON.stringify({ time: now.toISOString(), ...e })}\n`, { mode: 0o600 });
}
