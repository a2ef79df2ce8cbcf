// What the engine knows of layer 2: its own interfaces and their MACs, and the
// client-side peers (interface + MAC a client's frames came from) that NAT
// replies go back through. Connections cache a peer's index and the per-packet
// path reads typed arrays only. A peer is held by the connections using it
// (refs); once none does it waits in an LRU list and is evicted when the table
// is full, so a flood of random source MACs cannot lock new clients out for
// good. The neighbours it forwards to (real servers) are neighbours.ts's.
import { viewOf } from '../packet/bytes.js';
import { copyMac, macEquals } from '../packet/ethernet.js';

export interface InterfaceSpec {
  readonly name: string;
  readonly mac: Uint8Array;
  /** The device's MTU (bytes of IP); absent or 0: unknown, no datagram is too big (LVS-TUN takes 1500 then). */
  readonly mtu?: number;
  /** The router's own IPv4 address on the device (the kernel's; not a VIP): LVS-TUN's outer source. */
  readonly source?: number;
}

/** What LVS-TUN takes an interface's MTU to be while it is unknown (Ethernet's). */
export const DEFAULT_MTU = 1500;
/** ifMtu of an interface whose MTU nobody said: no datagram is too big for it. */
export const MTU_UNKNOWN = 1 << 30;

export class L2Table {
  readonly ifNames: string[];
  readonly ifMac: Uint8Array;
  /** Per interface: the router's own address there (0: unknown). */
  readonly ifSource: Uint32Array;
  /**
   * Each interface's MAC as two numbers (first four bytes, last two), so that
   * Engine.process checks a frame's destination in two compares: the kernel takes
   * in only group-addressed frames (the I/G bit: broadcast, multicast) and those to
   * the interface's own MAC; the rest is PACKET_OTHERHOST (unknown unicast a switch
   * floods), dropped before IP sees it.
   */
  readonly macHead: Int32Array;
  readonly macTail: Int32Array;
  /** Each interface's MTU, what the forward path checks a datagram's length against (MTU_UNKNOWN when unknown; setMtu when the backend knows it). */
  readonly ifMtu: Int32Array;

  readonly peerMac: Uint8Array;
  readonly peerHdr: Int32Array;
  readonly peerIf: Uint8Array;
  private readonly peerHash: Uint32Array;
  private peerCount = 0;
  /** Connections holding each peer; 0: in the LRU list, evictable. */
  private readonly peerRefs: Uint32Array;
  /** LRU list of unreferenced peers (0 ends it): evict from the head, append at the tail. */
  private readonly lruPrev: Uint32Array;
  private readonly lruNext: Uint32Array;
  private lruHead = 0;
  private lruTail = 0;
  /** Where the peer position of a peer sits in peerHash (for eviction). */
  private readonly peerSlot: Uint32Array;

  /** counts: the engine's named totals; [fullAt] and [evictedAt] are counted here. */
  constructor(
    interfaces: readonly InterfaceSpec[],
    readonly peerCapacity = 65536,
    private readonly counts: Float64Array = new Float64Array(2),
    private readonly fullAt = 0,
    private readonly evictedAt = 1,
  ) {
    if (interfaces.length === 0 || interfaces.length > 255) throw new Error('the engine needs 1..255 interfaces');
    this.ifNames = interfaces.map((i) => i.name);
    this.ifMac = new Uint8Array(6 * interfaces.length);
    interfaces.forEach((itf, i) => this.ifMac.set(itf.mac, 6 * i));
    this.ifSource = Uint32Array.from(interfaces, (itf) => itf.source ?? 0);
    this.macHead = new Int32Array(interfaces.length);
    this.macTail = new Int32Array(interfaces.length);
    this.ifMtu = Int32Array.from(interfaces, (itf) => (itf.mtu ? itf.mtu : MTU_UNKNOWN));
    interfaces.forEach((itf, i) => {
      const m = itf.mac;
      this.macHead[i] = (m[0] << 24) | (m[1] << 16) | (m[2] << 8) | m[3];
      this.macTail[i] = (m[4] << 8) | m[5];
    });
    this.peerMac = new Uint8Array(6 * peerCapacity);
    this.peerHdr = new Int32Array(3 * peerCapacity);
    this.peerIf = new Uint8Array(peerCapacity);
    this.peerRefs = new Uint32Array(peerCapacity);
    this.lruPrev = new Uint32Array(peerCapacity);
    this.lruNext = new Uint32Array(peerCapacity);
    this.peerSlot = new Uint32Array(peerCapacity);
    let size = 16;
    while (size < peerCapacity * 2) size <<= 1;
    this.peerHash = new Uint32Array(size);
  }

  /** The device's MTU as the backend found it (AF_PACKET's SIOCGIFMTU). */
  setMtu(itf: number, mtu: number): void {
    if (!(mtu >= 68 && mtu <= 65535)) throw new RangeError(`MTU ${mtu} of ${this.ifNames[itf]} is not in 68..65535`);
    this.ifMtu[itf] = mtu;
  }

  ifIndex(name: string): number {
    return this.ifNames.indexOf(name);
  }

  /** The last peer interned: nearly every new connection comes through the same gateway. */
  private lastPeer = 0;

  /**
   * Index of the (interface, MAC) peer, added if new, with one more reference
   * (the caller's connection; unrefPeer when it goes); 0 when the table is full
   * of peers that connections still use.
   */
  internPeer(itf: number, buf: Uint8Array, macOff: number): number {
    const last = this.lastPeer;
    let p = last;
    if (last === 0 || this.peerIf[last] !== itf || !this.samePeerMac(last, buf, macOff)) {
      p = this.findOrAddPeer(itf, buf, macOff);
      if (p === 0) {
        this.counts[this.fullAt]++;
        return 0;
      }
      this.lastPeer = p;
    }
    if (this.peerRefs[p]++ === 0) this.lruUnlink(p);
    return p;
  }

  /** A connection using peer p went: the last one puts it at the LRU tail. */
  unrefPeer(p: number): void {
    if (p === 0 || this.peerRefs[p] === 0) return;
    if (--this.peerRefs[p] === 0) this.lruAppend(p);
  }

  private lruAppend(p: number): void {
    this.lruPrev[p] = this.lruTail;
    this.lruNext[p] = 0;
    if (this.lruTail !== 0) this.lruNext[this.lruTail] = p;
    else this.lruHead = p;
    this.lruTail = p;
  }

  private lruUnlink(p: number): void {
    const prev = this.lruPrev[p], next = this.lruNext[p];
    if (prev !== 0) this.lruNext[prev] = next;
    else if (this.lruHead === p) this.lruHead = next;
    else return; // a new peer, never listed
    if (next !== 0) this.lruPrev[next] = prev;
    else this.lruTail = prev;
    this.lruPrev[p] = this.lruNext[p] = 0;
  }

  /** Frees the least recently released peer for reuse; 0 when every peer is in use. */
  private evictPeer(): number {
    const p = this.lruHead;
    if (p === 0) return 0;
    this.lruUnlink(p);
    this.unhashPeer(p);
    if (this.lastPeer === p) this.lastPeer = 0;
    this.counts[this.evictedAt]++;
    return p;
  }

  /** Linear-probing delete with backward shift: later entries of the run move up, no tombstones. */
  private unhashPeer(p: number): void {
    const hash = this.peerHash, mask = hash.length - 1;
    let hole = this.peerSlot[p];
    hash[hole] = 0;
    for (let j = (hole + 1) & mask; hash[j] !== 0; j = (j + 1) & mask) {
      const q = hash[j];
      const home = this.homeOf(this.peerIf[q], this.peerMac, 6 * q);
      // q may fill the hole unless its home lies cyclically in (hole, j].
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        hash[hole] = q;
        this.peerSlot[q] = hole;
        hash[j] = 0;
        hole = j;
      }
    }
  }

  private homeOf(itf: number, buf: Uint8Array, macOff: number): number {
    const hi = (buf[macOff] << 8) | buf[macOff + 1];
    const lo = ((buf[macOff + 2] << 24) | (buf[macOff + 3] << 16) | (buf[macOff + 4] << 8) | buf[macOff + 5]) >>> 0;
    const h = Math.imul(lo ^ Math.imul(hi ^ (itf << 16), 0x85ebca6b), 0x9e3779b1);
    return (h ^ (h >>> 16)) & (this.peerHash.length - 1);
  }

  private findOrAddPeer(itf: number, buf: Uint8Array, macOff: number): number {
    const mask = this.peerHash.length - 1;
    let h = this.homeOf(itf, buf, macOff);
    for (;;) {
      const p = this.peerHash[h];
      if (p === 0) break;
      if (this.peerIf[p] === itf && this.samePeerMac(p, buf, macOff)) return p;
      h = (h + 1) & mask;
    }
    let p: number;
    if (this.peerCount + 1 < this.peerCapacity) p = ++this.peerCount;
    else {
      p = this.evictPeer();
      if (p === 0) return 0;
      h = this.freeSlot(itf, buf, macOff); // the eviction may have shifted this probe run
    }
    this.peerIf[p] = itf;
    copyMac(this.peerMac, 6 * p, buf, macOff);
    this.macPair(this.peerHdr, p, this.peerMac, itf);
    this.peerHash[h] = p;
    this.peerSlot[p] = h;
    return p;
  }

  /** The first empty slot of the MAC's probe run. */
  private freeSlot(itf: number, buf: Uint8Array, macOff: number): number {
    const mask = this.peerHash.length - 1;
    let h = this.homeOf(itf, buf, macOff);
    while (this.peerHash[h] !== 0) h = (h + 1) & mask;
    return h;
  }

  /** hdr[3n..3n+2] = the words of peer n's MAC (macs[6n..]) followed by interface itf's. */
  private macPair(hdr: Int32Array, n: number, macs: Uint8Array, itf: number): void {
    const d = 6 * n, s = 6 * itf, m = this.ifMac;
    hdr[3 * n] = (macs[d] << 24) | (macs[d + 1] << 16) | (macs[d + 2] << 8) | macs[d + 3];
    hdr[3 * n + 1] = (macs[d + 4] << 24) | (macs[d + 5] << 16) | (m[s] << 8) | m[s + 1];
    hdr[3 * n + 2] = (m[s + 2] << 24) | (m[s + 3] << 16) | (m[s + 4] << 8) | m[s + 5];
  }

  private samePeerMac(p: number, buf: Uint8Array, macOff: number): boolean {
    return macEquals(this.peerMac, 6 * p, buf, macOff);
  }

}

/** The 12 bytes of destination and source MAC, from words precomputed by L2Table. */
export function writeMacs(buf: Uint8Array, at: number, hdr: Int32Array, h: number): void {
  const v = viewOf(buf);
  v.setInt32(at, hdr[h]);
  v.setInt32(at + 4, hdr[h + 1]);
  v.setInt32(at + 8, hdr[h + 2]);
}
