// The neighbours the router forwards to (its real servers), and the one owner of
// everything about them: which addresses are wanted and on which interface, what
// ARP taught, ageing, and the ARP requests that resolve and confirm them.
//
// Only wanted addresses are learned (real servers, or the gateways the routes
// send them through: engine.ts wantedNeighbours), and only from ARP heard on
// the interface that reaches them, as the kernel keeps neighbours per interface: a host
// on the client side that claims a real server's address is ignored, and a
// segment full of ARP senders (or one spoofing many) cannot fill the table. The
// table holds the wanted addresses and nothing else; an address nobody wants any
// more is evicted. Requests for an unresolved address back off (1 s, 2 s, 4 s,
// ... 60 s) and all requests share a rate limit (addresses that frames wait for
// first), so ten thousand silent servers cost a trickle of ARP, not a flood; an
// address that does not answer is logged once, and again when it does.
//
// Entries keep their index while they live, so dests cache it and the packet
// path reads typed arrays only (neighHdr: the two MACs as three words).
import { formatIPv4, prefixToMask, type OwnedAddress } from '../model/index.js';
import { buildArp } from '../packet/build.js';
import { writeU32 } from '../packet/bytes.js';
import { copyMac, ETH_HLEN } from '../packet/ethernet.js';
import { IntMap } from './int-map.js';

export const NEIGH_FREE = 0;
export const NEIGH_STATIC = 1;
/** Resolved by ARP and confirmed within NEIGH_MAX_AGE_MS. */
export const NEIGH_LEARNED = 2;
/** Not confirmed for too long: frames to it are dropped and counted until it answers again. */
export const NEIGH_FAILED = 3;
/** Wanted, never resolved yet. */
export const NEIGH_INCOMPLETE = 4;

/** A learned neighbour is asked again this long after it was last confirmed. */
export const REFRESH_MS = 30_000;
/** ... and failed when not confirmed for this long (three refreshes unanswered). */
export const NEIGH_MAX_AGE_MS = 90_000;
/** Unanswered requests back off from 1 s, doubling, to this. */
const BACKOFF_MAX_MS = 60_000;
/** Requests sent per second at most, all addresses together: ten thousand new servers resolve in 10 s. */
export const REQUESTS_PER_S = 1000;
/**
 * Requests of each second kept for addresses frames wait for: the sweep of new
 * and due addresses stops short of them, so at start (ten thousand servers to
 * resolve) a client's first SYN, held for its server, is not kept a second.
 */
export const RESERVED_FOR_WAITING = REQUESTS_PER_S / 10;
/** Requests unanswered before an address is logged as not answering. */
const LOG_AFTER_TRIES = 3;

export interface Interfaces {
  readonly names: readonly string[];
  /** 6 bytes per interface, in order. */
  readonly macs: Uint8Array;
}

const BROADCAST = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
/** Where an untagged ARP request holds its target's address. */
const ARP_TARGET_IP = ETH_HLEN + 24;

export interface ArpOut {
  frame: Uint8Array;
  itf: number;
}

/** What changed for an address, for the log. */
export interface NeighEvent {
  address: string;
  device: string;
  what: 'not answering' | 'resolved' | 'failed' | 'table full';
}

/** The interface an address is on-link for: the device of the owned address whose prefix holds it (the longest), or -1. */
export function onLinkInterface(addresses: readonly OwnedAddress[], devices: readonly string[], addr: number): number {
  let best = -1;
  let bestLen = -1;
  for (const a of addresses) {
    const mask = prefixToMask(a.prefixLen);
    if (((addr & mask) >>> 0) === ((a.address & mask) >>> 0) && a.prefixLen > bestLen) {
      best = devices.indexOf(a.device);
      bestLen = a.prefixLen;
    }
  }
  return best;
}

/** Where a real server is reached: its on-link interface, else the NAT router's device, else the first. */
export function interfaceFor(addresses: readonly OwnedAddress[], devices: readonly string[], addr: number): number {
  const on = onLinkInterface(addresses, devices, addr);
  if (on >= 0) return on;
  const nat = addresses.find((a) => a.role === 'nat_router');
  return Math.max(0, nat ? devices.indexOf(nat.device) : 0);
}

export class Neighbours {
  readonly capacity: number;
  readonly neighAddr: Uint32Array;
  readonly neighMac: Uint8Array;
  /** The Ethernet addresses of a frame to each entry (its MAC, then our interface's) as three big-endian words. */
  readonly neighHdr: Int32Array;
  readonly neighIf: Uint8Array;
  readonly neighState: Uint8Array;
  private readonly confirmed: Float64Array;
  private readonly lastAsk: Float64Array;
  private readonly nextAsk: Float64Array;
  private readonly tries: Uint16Array;
  /** Entry by address; sized for the table, so it never rehashes in a step between batches (int-map.ts). */
  private readonly byAddr: IntMap;
  private readonly free: number[] = [];
  private next = 1;
  /** Frames dropped because their next hop is unresolved, by address, until it resolves. */
  private readonly missing = new Map<number, number>();
  private urgent = false;
  private lastDue = -Infinity;
  /** Sender address of requests per interface (the NAT router's, else 0: an ARP probe). */
  private senders: number[] = [];
  /** Per interface, its request with the target left 0 (made when the senders change): a request is a copy of it. */
  private templates: Uint8Array[] = [];
  private budget = REQUESTS_PER_S;
  private budgetAt = -Infinity;

  constructor(
    private readonly ifs: Interfaces,
    capacity = 65536,
  ) {
    this.capacity = capacity;
    this.byAddr = new IntMap(capacity);
    this.neighAddr = new Uint32Array(capacity);
    this.neighMac = new Uint8Array(6 * capacity);
    this.neighHdr = new Int32Array(3 * capacity);
    this.neighIf = new Uint8Array(capacity);
    this.neighState = new Uint8Array(capacity);
    this.confirmed = new Float64Array(capacity);
    this.lastAsk = new Float64Array(capacity);
    this.nextAsk = new Float64Array(capacity);
    this.tries = new Uint16Array(capacity);
  }

  /** Entry index of an address, or 0 when it is not in the table. */
  resolve(addr: number): number {
    return Math.max(this.byAddr.get(addr), 0);
  }

  /** True when frames can be sent to entry n (static or learned). */
  usable(n: number): boolean {
    const s = this.neighState[n];
    return s === NEIGH_STATIC || s === NEIGH_LEARNED;
  }

  /**
   * The addresses the router needs, each with its interface; everything else
   * leaves the table (static entries stay). New ones are asked for at once.
   * `addresses` names the owned addresses, whose NAT router address is the
   * sender of requests on its interface, unless `released` (an inactive router
   * must not make the real servers learn its MAC for that address: it asks from
   * 0.0.0.0, as an RFC 5227 probe). Returns events for addresses that did not fit.
   */
  want(wanted: ReadonlyMap<number, number>, addresses: readonly OwnedAddress[], now: number, released = false): NeighEvent[] {
    this.senders = this.ifs.names.map((dev) => (released ? 0 : addresses.find((a) => a.role === 'nat_router' && a.device === dev)?.address ?? 0));
    this.templates = this.ifs.names.map((_, itf) => {
      const mac = this.ifs.macs.subarray(6 * itf, 6 * itf + 6);
      return buildArp({ srcMac: mac, dstMac: BROADCAST, op: 1, senderMac: mac, senderIp: this.senders[itf], targetIp: 0 });
    });
    for (const addr of this.byAddr.keyList()) if (!wanted.has(addr)) this.drop(addr);
    const events: NeighEvent[] = [];
    for (const [addr, itf] of wanted) {
      const ev = this.add(addr, itf, now);
      if (ev) events.push(ev);
    }
    return events;
  }

  /** One more address the router needs, on interface itf (asked for at once); an event when the table is full. */
  add(addr: number, itf: number, now: number): NeighEvent | null {
    let n = this.resolve(addr);
    if (n !== 0) {
      if (this.neighIf[n] !== itf && this.neighState[n] !== NEIGH_STATIC) this.reset(n, itf, now);
      return null;
    }
    n = this.alloc(addr);
    if (n === 0) return { address: formatIPv4(addr), device: this.ifs.names[itf], what: 'table full' };
    this.reset(n, itf, now);
    return null;
  }

  /** An address the router no longer needs leaves the table (a static entry stays). */
  drop(addr: number): void {
    const n = this.resolve(addr);
    if (n !== 0 && this.neighState[n] !== NEIGH_STATIC) this.evict(addr, n);
    this.missing.delete(addr);
  }

  /** A neighbour given by the user (--neigh, tests): never aged, never replaced by ARP. */
  setStatic(addr: number, mac: Uint8Array, macOff: number, itf: number): number {
    const n = this.resolve(addr) || this.alloc(addr);
    if (n === 0) return 0;
    this.set(n, mac, macOff, itf, NEIGH_STATIC, 0);
    return n;
  }

  /**
   * ARP heard on interface itf: addr is at the MAC at buf[macOff]. Learned only
   * when the router wants addr on that very interface. Returns the entry or 0.
   */
  heard(addr: number, buf: Uint8Array, macOff: number, itf: number, now: number): number {
    const n = this.resolve(addr);
    if (n === 0 || this.neighIf[n] !== itf || this.neighState[n] === NEIGH_STATIC) return 0;
    this.set(n, buf, macOff, itf, NEIGH_LEARNED, now);
    return n;
  }

  /**
   * A frame was dropped because addr is unresolved: count it. While frames wait
   * for an address it is asked for once a second, backoff or not, as the kernel
   * re-resolves a neighbour that traffic needs.
   */
  noteMissing(addr: number): void {
    this.missing.set(addr, (this.missing.get(addr) ?? 0) + 1);
    this.urgent = true;
  }

  /** True when frames found a next hop missing and due() has not run for 100 ms: worth calling it now. */
  pending(now: number): boolean {
    return this.urgent && now - this.lastDue >= 100;
  }

  /** Unresolved next hops with the frames dropped for each, e.g. "198.19.0.11 (1 frame)". */
  describeMissing(): string[] {
    return [...this.missing].map(([addr, n]) => `${formatIPv4(addr)} (${n} frame${n === 1 ? '' : 's'})`);
  }

  /**
   * Requests due at `now`, within the shared rate limit: new and unresolved
   * addresses (backing off), learned ones due for confirmation; and ageing.
   * Events say which addresses stopped or started answering.
   */
  due(now: number, events: NeighEvent[] = []): ArpOut[] {
    this.urgent = false;
    this.lastDue = now;
    events.push(...this.resolvedEvents.splice(0));
    if (now - this.budgetAt >= 1000) {
      this.budget = REQUESTS_PER_S;
      this.budgetAt = now;
    }
    const out: ArpOut[] = [];
    // Addresses frames are waiting for go first: what traffic needs now.
    for (const addr of this.missing.keys()) {
      const n = this.resolve(addr);
      if (n !== 0 && this.neighState[n] !== NEIGH_LEARNED && this.neighState[n] !== NEIGH_STATIC && now - this.lastAsk[n] >= 1000) this.ask(n, now, out, events, 0);
    }
    // Entries in use are the ones not free; walking the arrays allocates nothing.
    for (let n = 1; n < this.next; n++) {
      const state = this.neighState[n];
      if (state === NEIGH_STATIC || state === NEIGH_FREE) continue;
      if (state === NEIGH_LEARNED && now - this.confirmed[n] > NEIGH_MAX_AGE_MS) {
        // Failed: ask at once, then back off as for an address never resolved.
        this.neighState[n] = NEIGH_FAILED;
        this.tries[n] = 0;
        this.nextAsk[n] = now;
        events.push(this.event(n, 'failed'));
      }
      if (now >= this.nextAsk[n] && this.lastAsk[n] !== now) this.ask(n, now, out, events, RESERVED_FOR_WAITING);
    }
    return out;
  }

  /** One request for entry n, while the budget is above `floor`; the next one is due after a refresh period (learned) or a backoff. */
  private ask(n: number, now: number, out: ArpOut[], events: NeighEvent[], floor: number): void {
    if (this.budget <= floor) return;
    this.budget--;
    out.push(this.request(n));
    this.lastAsk[n] = now;
    const learned = this.neighState[n] === NEIGH_LEARNED;
    if (!learned) this.tries[n]++;
    if (this.tries[n] === LOG_AFTER_TRIES && this.neighState[n] === NEIGH_INCOMPLETE) events.push(this.event(n, 'not answering'));
    this.nextAsk[n] = now + (learned ? REFRESH_MS : this.backoff(n));
  }

  /** Entries in use. */
  get size(): number {
    return this.byAddr.size;
  }

  private backoff(n: number): number {
    return Math.min(BACKOFF_MAX_MS, 1000 * 2 ** Math.max(0, this.tries[n] - 1));
  }

  private request(n: number): ArpOut {
    const itf = this.neighIf[n];
    // A copy of the interface's request: with 10,000 servers refreshed every 30 s,
    // building each one afresh was most of the data plane's garbage.
    const t = this.templates[itf] ?? this.template(itf);
    const frame = t.slice();
    writeU32(frame, ARP_TARGET_IP, this.neighAddr[n]);
    return { frame, itf };
  }

  /** An interface's request from 0.0.0.0, before want() named the senders. */
  private template(itf: number): Uint8Array {
    const mac = this.ifs.macs.subarray(6 * itf, 6 * itf + 6);
    return (this.templates[itf] = buildArp({ srcMac: mac, dstMac: BROADCAST, op: 1, senderMac: mac, senderIp: 0, targetIp: 0 }));
  }

  private event(n: number, what: NeighEvent['what']): NeighEvent {
    return { address: formatIPv4(this.neighAddr[n]), device: this.ifs.names[this.neighIf[n]], what };
  }

  private alloc(addr: number): number {
    const n = this.free.pop() ?? (this.next < this.capacity ? this.next++ : 0);
    if (n === 0) return 0;
    this.byAddr.set(addr, 0, n);
    this.neighAddr[n] = addr;
    return n;
  }

  private evict(addr: number, n: number): void {
    this.byAddr.delete(addr);
    this.neighState[n] = NEIGH_FREE;
    this.neighAddr[n] = 0;
    this.free.push(n);
  }

  /** A wanted address not resolved yet on interface itf: ask now. */
  private reset(n: number, itf: number, now: number): void {
    this.neighIf[n] = itf;
    this.neighState[n] = NEIGH_INCOMPLETE;
    this.tries[n] = 0;
    this.nextAsk[n] = now;
    this.lastAsk[n] = -Infinity;
    this.confirmed[n] = 0;
  }

  private set(n: number, mac: Uint8Array, macOff: number, itf: number, state: number, now: number): void {
    const was = this.neighState[n];
    copyMac(this.neighMac, 6 * n, mac, macOff);
    this.neighIf[n] = itf;
    this.macPair(n, itf);
    this.neighState[n] = state;
    this.confirmed[n] = now;
    if (state === NEIGH_LEARNED) {
      if (this.tries[n] >= LOG_AFTER_TRIES || was === NEIGH_FAILED) this.resolvedEvents.push(this.event(n, 'resolved'));
      this.tries[n] = 0;
      this.nextAsk[n] = now + REFRESH_MS;
    }
    this.missing.delete(this.neighAddr[n]);
  }

  /** Addresses that answered after being logged as silent or failed (reported by the next due()). */
  private readonly resolvedEvents: NeighEvent[] = [];

  /** hdr[3n..3n+2] = the words of entry n's MAC followed by interface itf's. */
  private macPair(n: number, itf: number): void {
    const d = 6 * n, s = 6 * itf, m = this.ifs.macs, macs = this.neighMac, hdr = this.neighHdr;
    hdr[3 * n] = (macs[d] << 24) | (macs[d + 1] << 16) | (macs[d + 2] << 8) | macs[d + 3];
    hdr[3 * n + 1] = (macs[d + 4] << 24) | (macs[d + 5] << 16) | (m[s] << 8) | m[s + 1];
    hdr[3 * n + 2] = (m[s + 2] << 24) | (m[s + 3] << 16) | (m[s + 4] << 8) | m[s + 5];
  }
}
