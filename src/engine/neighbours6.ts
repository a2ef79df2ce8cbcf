// IPv6 neighbours (RFC 4861): the MACs of the IPv6 real servers, found by
// Neighbor Solicitation to their solicited-node group and kept fresh as the IPv4
// neighbours are (neighbours.ts: asked for again every REFRESH_MS, unusable when
// not confirmed within NEIGH_MAX_AGE_MS, backing off while unanswered). Only the
// addresses the running table names are kept, so an advertisement for any other
// address teaches nothing (no table to fill from outside). A few entries, found
// by a walk: real servers are asked for when the table changes, not per packet,
// and a dest caches its entry (ServiceRuntime.destNeigh).
import { neighborSolicit } from '../packet/icmp6.js';
import { ETH_HLEN } from '../packet/ethernet.js';
import { IPV6_HLEN } from '../packet/ipv6.js';
import { ND_HLEN, ND_OPT_LLA_LEN } from '../packet/icmp6.js';
import type { ArpOut, Interfaces, NeighEvent } from './neighbours.js';
import { NEIGH_MAX_AGE_MS, REFRESH_MS } from './neighbours.js';
import { formatIPv6 } from '../packet/ipv6.js';

const NS_LEN = ETH_HLEN + IPV6_HLEN + ND_HLEN + ND_OPT_LLA_LEN;
const BACKOFF_MAX_MS = 30_000;
const LOG_AFTER_TRIES = 3;
/** Solicitations for a oneShot entry before it is given up (its connection's replies stay dropped). */
const ONE_SHOT_TRIES = 5;

/** A wanted neighbour: its address at a[o..o+3], on interface itf. */
export interface Wanted6 {
  readonly a: Int32Array;
  readonly o: number;
  readonly itf: number;
}

export class Neighbours6 {
  /** Entries 1..count: address words (4 each), interface, whether resolved, the header to write (as L2Table's). */
  readonly addr: Int32Array;
  readonly itf: Int32Array;
  readonly resolved: Uint8Array;
  /** Destination MAC then our MAC, as 3 int32 words per entry (Engine.writeMacs). */
  readonly hdr: Int32Array;
  /** The neighbour's MAC, 6 bytes per entry (what L2Table.internPeer reads). */
  readonly mac: Uint8Array;
  /** Where ensure() puts an address when every entry is taken: the oldest slot, in turn. */
  private victim = 0;
  private readonly confirmed: Float64Array;
  private readonly nextAsk: Float64Array;
  private readonly tries: Uint8Array;
  private count = 0;
  /** The source each interface solicits from: its EUI-64 link-local address (see due()). */
  private readonly linkLocal: Int32Array;

  /**
   * `oneShot`: entries are asked for until answered (at most ONE_SHOT_TRIES
   * times), never refreshed: a synced connection's client, whose MAC the
   * connection keeps once it has it (Ipv6Path.syncedPeer).
   */
  constructor(private readonly ifs: Interfaces, readonly capacity = 4096, private readonly oneShot = false) {
    const n = capacity + 1;
    this.addr = new Int32Array(4 * n);
    this.itf = new Int32Array(n);
    this.resolved = new Uint8Array(n);
    this.hdr = new Int32Array(3 * n);
    this.mac = new Uint8Array(6 * n);
    this.confirmed = new Float64Array(n);
    this.nextAsk = new Float64Array(n);
    this.tries = new Uint8Array(n);
    this.linkLocal = new Int32Array(4 * ifs.names.length);
    for (let i = 0; i < ifs.names.length; i++) eui64LinkLocal(ifs.macs, 6 * i, this.linkLocal, 4 * i);
  }

  get size(): number {
    return this.count;
  }

  /**
   * The entry of the address at a[o..o+3] (on interface itf when given: a
   * link-local gateway such as fe80::1 may be a different host on each link), or 0.
   */
  find(a: Int32Array, o: number, itf = -1): number {
    const x = this.addr;
    for (let n = 1; n <= this.count; n++) {
      const w = 4 * n;
      if (x[w + 3] === a[o + 3] && x[w + 2] === a[o + 2] && x[w + 1] === a[o + 1] && x[w] === a[o] && (itf < 0 || this.itf[n] === itf)) return n;
    }
    return 0;
  }

  /** Resolved and confirmed recently enough to send to. */
  usable(n: number, now: number): boolean {
    return n !== 0 && this.resolved[n] !== 0 && now - this.confirmed[n] <= NEIGH_MAX_AGE_MS;
  }

  /**
   * The neighbours the running table needs, all of them: entries of addresses
   * still wanted on the same interface keep what they learned, the rest go,
   * new ones are asked for at once. Returns what could not be kept (table full).
   */
  want(list: readonly Wanted6[], now: number): NeighEvent[] {
    const keep = new Map<string, { mac: number[]; confirmed: number; resolved: number }>();
    for (let n = 1; n <= this.count; n++) {
      if (this.resolved[n] !== 0) keep.set(`${this.itf[n]}/${this.key(this.addr, 4 * n)}`, { mac: [this.hdr[3 * n], this.hdr[3 * n + 1] & ~0xffff], confirmed: this.confirmed[n], resolved: 1 });
    }
    this.count = 0;
    const events: NeighEvent[] = [];
    for (const w of list) {
      if (this.find(w.a, w.o, w.itf) !== 0) continue;
      if (this.count === this.capacity) {
        events.push({ address: formatIPv6(w.a, w.o), device: this.ifs.names[w.itf] ?? '?', what: 'table full' });
        continue;
      }
      const n = ++this.count;
      this.addr.set(w.a.subarray(w.o, w.o + 4), 4 * n);
      this.itf[n] = w.itf;
      this.tries[n] = 0;
      this.nextAsk[n] = now;
      this.resolved[n] = 0;
      this.confirmed[n] = 0;
      const old = keep.get(`${w.itf}/${this.key(w.a, w.o)}`);
      if (old) {
        this.setHeader(n, old.mac[0], old.mac[1]);
        this.resolved[n] = 1;
        this.confirmed[n] = old.confirmed;
        this.nextAsk[n] = old.confirmed + REFRESH_MS;
      }
    }
    return events;
  }

  /**
   * An advertisement (or a solicitation's source) says the address at
   * buf[at..at+15] has the MAC at buf[macAt..macAt+5]: learned when the address
   * is wanted on that interface. Returns whether it was.
   */
  heard(buf: Uint8Array, at: number, macAt: number, itf: number, now: number): boolean {
    const x = this.addr;
    for (let n = 1; n <= this.count; n++) {
      if (this.itf[n] !== itf) continue;
      const w = 4 * n;
      let same = true;
      for (let k = 0; k < 4 && same; k++) same = x[w + k] === ((buf[at + 4 * k] << 24) | (buf[at + 4 * k + 1] << 16) | (buf[at + 4 * k + 2] << 8) | buf[at + 4 * k + 3]);
      if (!same) continue;
      const hi = (buf[macAt] << 24) | (buf[macAt + 1] << 16) | (buf[macAt + 2] << 8) | buf[macAt + 3];
      const lo = (buf[macAt + 4] << 24) | (buf[macAt + 5] << 16);
      this.setHeader(n, hi, lo);
      this.resolved[n] = 1;
      this.confirmed[n] = now;
      this.tries[n] = 0;
      this.nextAsk[n] = now + REFRESH_MS;
      return true;
    }
    return false;
  }

  /** Whether a solicitation is due (the host sends due() early rather than on its next tick). */
  pending(now: number): boolean {
    for (let n = 1; n <= this.count; n++) {
      if (this.resolved[n] === 0 && now >= this.nextAsk[n] && !(this.oneShot && this.tries[n] >= ONE_SHOT_TRIES)) return true;
    }
    return false;
  }

  /**
   * The solicitations due at `now`: an unresolved address with a backoff of 1 s
   * doubling to 30 s, a resolved one every REFRESH_MS. They go from the
   * interface's EUI-64 link-local address (fe80::/64 from its MAC, RFC 4291
   * appendix A), not from a VIP: a DR server holds the VIP itself and would
   * answer to its own loopback. The server's unicast answer reaches tsvs's
   * AF_PACKET socket by the MAC in the source link-layer option whether or not
   * the router's kernel has that address.
   */
  due(now: number, events: NeighEvent[] = []): ArpOut[] {
    const out: ArpOut[] = [];
    for (let n = 1; n <= this.count; n++) {
      if (now < this.nextAsk[n]) continue;
      if (this.oneShot && (this.resolved[n] !== 0 || this.tries[n] >= ONE_SHOT_TRIES)) continue;
      if (this.resolved[n] !== 0 && now - this.confirmed[n] > NEIGH_MAX_AGE_MS) {
        this.resolved[n] = 0;
        events.push(this.event(n, 'failed'));
      }
      this.tries[n] = Math.min(255, this.tries[n] + 1);
      if (this.resolved[n] === 0 && this.tries[n] === LOG_AFTER_TRIES) events.push(this.event(n, 'not answering'));
      this.nextAsk[n] = now + (this.resolved[n] !== 0 ? 1000 : Math.min(BACKOFF_MAX_MS, 1000 * 2 ** Math.max(0, this.tries[n] - 1)));
      const itf = this.itf[n];
      const frame = new Uint8Array(NS_LEN);
      neighborSolicit(frame, 0, this.addr, 4 * n, this.linkLocal, 4 * itf, this.ifs.macs, 6 * itf);
      out.push({ frame, itf });
    }
    return out;
  }

  /**
   * The entry of the address at a[o..o+3] on interface itf, made (and asked
   * for at the next due()) when there is none: for neighbours wanted one at a
   * time rather than by want(). A full table gives up its entries in turn.
   */
  ensure(a: Int32Array, o: number, itf: number, now: number): number {
    let n = this.find(a, o, itf);
    if (n !== 0) return n;
    if (this.count < this.capacity) n = ++this.count;
    else n = 1 + (this.victim++ % this.capacity);
    this.addr.set(a.subarray(o, o + 4), 4 * n);
    this.itf[n] = itf;
    this.tries[n] = 0;
    this.nextAsk[n] = now;
    this.resolved[n] = 0;
    this.confirmed[n] = 0;
    return n;
  }

  private setHeader(n: number, hi: number, lo: number): void {
    const mac = this.mac;
    mac[6 * n] = hi >>> 24;
    mac[6 * n + 1] = (hi >>> 16) & 255;
    mac[6 * n + 2] = (hi >>> 8) & 255;
    mac[6 * n + 3] = hi & 255;
    mac[6 * n + 4] = lo >>> 24;
    mac[6 * n + 5] = (lo >>> 16) & 255;
    const m = this.ifs.macs;
    const o = 6 * this.itf[n];
    this.hdr[3 * n] = hi;
    this.hdr[3 * n + 1] = (lo & ~0xffff) | (m[o] << 8) | m[o + 1];
    this.hdr[3 * n + 2] = (m[o + 2] << 24) | (m[o + 3] << 16) | (m[o + 4] << 8) | m[o + 5];
  }

  private key(a: Int32Array, o: number): string {
    return `${a[o]},${a[o + 1]},${a[o + 2]},${a[o + 3]}`;
  }

  private event(n: number, what: NeighEvent['what']): NeighEvent {
    return { address: formatIPv6(this.addr, 4 * n), device: this.ifs.names[this.itf[n]] ?? '?', what };
  }
}

/** fe80::/64 with the interface identifier made from a MAC (modified EUI-64: ff:fe in the middle, the U/L bit flipped). */
export function eui64LinkLocal(macs: Uint8Array, mo: number, out: Int32Array, o: number): void {
  out[o] = 0xfe800000 | 0;
  out[o + 1] = 0;
  out[o + 2] = (((macs[mo] ^ 2) << 24) | (macs[mo + 1] << 16) | (macs[mo + 2] << 8) | 0xff) | 0;
  out[o + 3] = ((0xfe << 24) | (macs[mo + 3] << 16) | (macs[mo + 4] << 8) | macs[mo + 5]) | 0;
}
