// What the web tool's route files share: its options, Hono's context type with
// the session and the posted form, and the page function every panel renders with.
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import type { Router } from './control.js';
import type { Html } from './html.js';
import type { Cidr, LoginLimiter, Session, Sessions } from './security.js';

export interface GuiOptions {
  config: string;
  passwd: string;
  auditLog: string;
  allow: Cidr[];
  https: boolean;
  router: Router;
  log: (line: string) => void;
  sessions?: Sessions;
  limiter?: LoginLimiter;
  /** Seconds between chart samples. */
  sampleEvery?: number;
}

export type Env = { Bindings: HttpBindings; Variables: { session: Session | null; form: Record<string, string> } };
export type C = Context<Env>;

export type PageStatus = 200 | 400 | 409 | 429;

export interface Kit {
  o: GuiOptions;
  /** A whole page in the layout, for the session's user. */
  page: (c: C, title: string, body: Html, active?: string, status?: PageStatus) => Response | Promise<Response>;
  /** lvs.cf as it is now ('' when it does not exist yet). */
  readText: () => string;
}

export function remoteOf(c: C): string {
  const a = c.env?.incoming?.socket?.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}
