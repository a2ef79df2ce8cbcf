// The authentication envelope of tsvs's router-to-router messages (heartbeats,
// connection sync, config sync), used only when lvs.cf names an ha_key_file.
// Neither pulse nor IPVS authenticate anything: with no key the wire formats
// stay theirs, byte for byte. With a key, the plain message is followed by a
// 32-byte trailer, so that the message in front keeps its own layout:
//
//   offset  size  field
//   0       n     the message as pulse / IPVS would send it
//   n       4     magic "TSVA" (says "authenticated by tsvs", version 1)
//   n+4     4     sender id: the IPv4 address the sender identifies as
//   n+8     8     counter, big-endian: never repeats for one sender
//   n+16    16    tag: HMAC-SHA256(key, purpose label | message | trailer[0..16]), first 16 bytes
//
// A router without the key never takes an authenticated message for a plain one
// (a heartbeat is then 36 bytes, not pulse's 4; a sync message's size field no
// longer matches the datagram), and a router with the key drops every message
// without a trailer, with a bad tag, from an unexpected sender, or whose counter
// it has already seen.
//
// The tag is truncated to 128 bits: RFC 2104 section 5 allows truncating to no
// less than half the hash and 80 bits, and NIST SP 800-107 section 5.3.4 gives a
// truncated tag's forgery odds as 2^-128 per try, far beyond what a forger on a
// LAN can try before an operator notices the forged counter growing.
//
// The counter is the sender's boot time in ms shifted left 22 bits, plus one
// per message. It only grows, even across a restart of the sender (its next
// boot time is later), so the receiver never resets its window and a packet
// recorded before a restart is still refused. It stays below the next boot's
// counters while the sender sends fewer than 4 million messages per ms of uptime.
// The receiver keeps, per sender, the highest counter seen and a 64-bit bitmap
// of those below it (RFC 4303 section 3.4.3's anti-replay window), because a
// heartbeat goes to two addresses and copies may arrive out of order.
// The purpose label keeps a heartbeat from being replayed as a sync message.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const AUTH_MAGIC = 0x54535641; // "TSVA"
export const AUTH_TRAILER_BYTES = 32;
export const AUTH_TAG_BYTES = 16;
/** The anti-replay window: counters this far below the highest seen are still taken once each. */
export const AUTH_WINDOW = 64;

export type AuthPurpose = 'heartbeat' | 'sync' | 'config';

/** Why open() refused a message; each has its own counter. */
export type AuthDrop = 'unauthenticated' | 'forged' | 'replayed';

export interface AuthStats {
  /** Messages taken (tag and counter good). */
  ok: number;
  /** No trailer (a plain pulse / IPVS message, or too short). */
  unauthenticated: number;
  /** A trailer whose tag does not verify, or an unexpected sender. */
  forged: number;
  /** A good tag on a counter already seen, too old for the window, or our own message sent back to us. */
  replayed: number;
}

export function newAuthStats(): AuthStats {
  return { ok: 0, unauthenticated: 0, forged: 0, replayed: 0 };
}

export type OpenResult =
  | { ok: true; payload: Uint8Array; sender: number; counter: bigint }
  | { ok: false; why: AuthDrop };

const LABELS: Record<AuthPurpose, Buffer> = {
  heartbeat: Buffer.from('tsvs-auth-v1 heartbeat\0'),
  sync: Buffer.from('tsvs-auth-v1 sync\0'),
  config: Buffer.from('tsvs-auth-v1 config\0'),
};

const SHIFT = 22n;
const MASK64 = (1n << 64n) - 1n;

/** The first counter of a sender that booted at epochMs (wall clock). */
export function counterBase(epochMs: number): bigint {
  return BigInt(Math.floor(epochMs)) << SHIFT;
}

function tag(key: Uint8Array, purpose: AuthPurpose, payload: Uint8Array, head: Uint8Array): Buffer {
  return createHmac('sha256', key).update(LABELS[purpose]).update(payload).update(head).digest().subarray(0, AUTH_TAG_BYTES);
}

/** Seals this router's messages of one purpose: each gets the next counter. */
export class Sealer {
  private next: bigint;

  constructor(
    private readonly key: Uint8Array,
    private readonly purpose: AuthPurpose,
    /** The IPv4 address (uint32) this router identifies as. */
    readonly sender: number,
    epochMs: number = Date.now(),
  ) {
    this.next = counterBase(epochMs);
  }

  /** A new buffer: payload, then the trailer. */
  seal(payload: Uint8Array): Uint8Array {
    const n = payload.length;
    const out = new Uint8Array(n + AUTH_TRAILER_BYTES);
    out.set(payload, 0);
    const v = new DataView(out.buffer, n, AUTH_TRAILER_BYTES);
    v.setUint32(0, AUTH_MAGIC);
    v.setUint32(4, this.sender >>> 0);
    v.setBigUint64(8, this.next & MASK64);
    this.next++;
    out.set(tag(this.key, this.purpose, payload, out.subarray(n, n + 16)), n + 16);
    return out;
  }
}

/** The anti-replay state of one sender. */
interface Window {
  top: bigint;
  /** Bit i: counter top - i was taken. */
  seen: bigint;
}

const MAX_SENDERS = 16;

/** Opens messages of one purpose: checks the tag, the sender and the counter window, and counts what it drops. */
export class Opener {
  readonly stats = newAuthStats();
  private readonly windows = new Map<number, Window>();

  constructor(
    private readonly key: Uint8Array,
    private readonly purpose: AuthPurpose,
    /** This router's own sender id: a message claiming it is ours, sent back (reflected). */
    private readonly own: number,
    /** The only sender accepted (pulse's partner); undefined: any but ourselves (a sync group). */
    private readonly expect?: number,
  ) {}

  open(data: Uint8Array): OpenResult {
    const r = this.check(data);
    if (r.ok) this.stats.ok++;
    else this.stats[r.why]++;
    return r;
  }

  private check(data: Uint8Array): OpenResult {
    const n = data.length - AUTH_TRAILER_BYTES;
    if (n < 0) return { ok: false, why: 'unauthenticated' };
    const v = new DataView(data.buffer, data.byteOffset + n, AUTH_TRAILER_BYTES);
    if (v.getUint32(0) !== AUTH_MAGIC) return { ok: false, why: 'unauthenticated' };
    const payload = data.subarray(0, n);
    const want = tag(this.key, this.purpose, payload, data.subarray(n, n + 16));
    if (!timingSafeEqual(want, data.subarray(n + 16, n + AUTH_TRAILER_BYTES))) return { ok: false, why: 'forged' };
    const sender = v.getUint32(4);
    const counter = v.getBigUint64(8);
    if (sender === this.own >>> 0) return { ok: false, why: 'replayed' };
    if (this.expect !== undefined && sender !== this.expect >>> 0) return { ok: false, why: 'forged' };
    if (!this.take(sender, counter)) return { ok: false, why: 'replayed' };
    return { ok: true, payload, sender, counter };
  }

  /** RFC 4303 3.4.3: a counter above the top moves the window; one inside it is taken once. Only after the tag verified. */
  private take(sender: number, c: bigint): boolean {
    const w = this.windows.get(sender);
    if (!w) {
      // Only key holders get here; the bound keeps a confused group from growing the map.
      if (this.windows.size >= MAX_SENDERS) this.windows.delete(this.windows.keys().next().value!);
      this.windows.set(sender, { top: c, seen: 1n });
      return true;
    }
    if (c > w.top) {
      const shift = c - w.top;
      w.seen = shift >= BigInt(AUTH_WINDOW) ? 1n : ((w.seen << shift) | 1n) & MASK64;
      w.top = c;
      return true;
    }
    const back = w.top - c;
    if (back >= BigInt(AUTH_WINDOW)) return false;
    const bit = 1n << back;
    if (w.seen & bit) return false;
    w.seen |= bit;
    return true;
  }

  /** The highest counter taken from a sender (tests, status). */
  top(sender: number): bigint | null {
    return this.windows.get(sender >>> 0)?.top ?? null;
  }
}
