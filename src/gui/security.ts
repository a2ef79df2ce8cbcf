// The web tool's guards, each a small pure piece so the unit tests can hold it
// to its rule: the client allow-list (CIDR), sessions with expiry, CSRF tokens
// bound to the session, and the login rate limit.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { parseIPv4, prefixToMask } from '../model/addr.js';

export interface Cidr {
  base: number;
  prefix: number;
}

/** `198.18.0.0/15` or a single address; throws a message naming the bad entry. */
export function parseCidr(text: string): Cidr {
  const [addr, len, extra] = text.trim().split('/');
  const base = parseIPv4(addr);
  const prefix = len === undefined ? 32 : Number(len);
  if (base === null || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32 || (len !== undefined && !/^\d+$/.test(len))) {
    throw new Error(`"${text}" is not an IPv4 network (as 198.18.0.0/15)`);
  }
  return { base: (base & prefixToMask(prefix)) >>> 0, prefix };
}

export function parseAllowList(text: string): Cidr[] {
  return text.split(',').filter((s) => s.trim() !== '').map(parseCidr);
}

/** Whether a client address (IPv4, or IPv4-mapped IPv6) is in the list; anything else is refused. */
export function allowed(list: readonly Cidr[], remote: string | undefined): boolean {
  if (!remote) return false;
  const v4 = parseIPv4(remote.startsWith('::ffff:') ? remote.slice(7) : remote);
  if (v4 === null) return remote === '::1' && list.some((c) => c.prefix <= 8 && c.base === 0x7f000000);
  return list.some((c) => ((v4 & prefixToMask(c.prefix)) >>> 0) === c.base);
}

export const token = (): string => randomBytes(32).toString('base64url');

export interface Session {
  id: string;
  csrf: string;
  /** null until the password was accepted. */
  user: string | null;
  expires: number;
  /** A change waiting for its confirm (diff) page. */
  pending: { text: string; base: string; what: string; back: string } | null;
}

/** Sessions in memory: a restart of the tool logs everybody out, which is the safe way round. */
export class Sessions {
  private readonly map = new Map<string, Session>();

  constructor(
    readonly ttlMs = 30 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  create(user: string | null = null): Session {
    this.sweep();
    const s: Session = { id: token(), csrf: token(), user, expires: this.now() + this.ttlMs, pending: null };
    this.map.set(s.id, s);
    return s;
  }

  /** The live session of a cookie value, its expiry pushed on (sliding); null if unknown or expired. */
  get(id: string | undefined): Session | null {
    if (!id) return null;
    const s = this.map.get(id);
    if (!s) return null;
    if (s.expires <= this.now()) {
      this.map.delete(id);
      return null;
    }
    s.expires = this.now() + this.ttlMs;
    return s;
  }

  drop(id: string): void {
    this.map.delete(id);
  }

  private sweep(): void {
    const t = this.now();
    for (const [id, s] of this.map) if (s.expires <= t) this.map.delete(id);
  }
}

/** Constant-time check of a form's token against the session's. */
export function csrfOk(session: Session | null, sent: unknown): boolean {
  if (!session || typeof sent !== 'string') return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(sent);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** At most `max` failed logins per client address in a sliding `windowMs`. */
export class LoginLimiter {
  private readonly fails = new Map<string, number[]>();

  constructor(
    readonly max = 5,
    readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until this client may try again; 0: it may now. */
  retryAfter(remote: string): number {
    const recent = this.recent(remote);
    if (recent.length < this.max) return 0;
    return Math.ceil((recent[0] + this.windowMs - this.now()) / 1000);
  }

  failed(remote: string): void {
    this.fails.set(remote, [...this.recent(remote), this.now()]);
  }

  succeeded(remote: string): void {
    this.fails.delete(remote);
  }

  private recent(remote: string): number[] {
    const t = this.now();
    const r = (this.fails.get(remote) ?? []).filter((x) => x > t - this.windowMs);
    if (r.length) this.fails.set(remote, r);
    else this.fails.delete(remote);
    return r;
  }
}
