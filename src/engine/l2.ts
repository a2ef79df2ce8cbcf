// What the engine knows of layer 2: its own interfaces and their MACs, the
// neighbours it forwards to (IP -> MAC on an interface: real servers), and the
// client-side peers (interface + MAC a client's frames came from) that NAT
// replies go back through. Entries keep their index for life, so connections
// and dests can cache an index and the per-packet path reads typed arrays only.
import { formatIPv4 } from '../model/index.js';
import { copyMac, macEquals } from '../packet/ethernet.js';

export const NEIGH_STATIC = 1;
export const NEIGH_LEARNED = 2;
/** Not confirmed for too long (no ARP reply to the refreshes): not used until it is again. */
export const NEIGH_FAILED = 3;

export interface InterfaceSpec {
  readonly name: string;
  readonly mac: Uint8Array;
}

export class L2Table {
  readonly ifNames: string[];
  readonly ifMac: Uint8Array;

  readonly neighAddr: Uint32Array;
  readonly neighMac: Uint8Array;
  /**
   * The Ethernet addresses a frame to each neighbour starts with (its MAC, then
   * our interface's) as three big-endian 32-bit words, so that the per-packet
   * path writes them with three stores. Same for peers (peerHdr).
   */
  readonly neighHdr: Int32Array;
  readonly neighIf: Uint8Array;
  readonly neighState: Uint8Array;
  /** When each entry was last confirmed (the engine's clock, ms). */
  readonly neighConfirmed: Float64Array;
  /** The engine's clock at the current batch: what learn() stamps entries with. */
  now = 0;
  private neighCount = 0;
  private readonly neighByIp = new Map<number, number>();
  /** Next hops that were needed but unknown: address -> frames dropped for it. */
  readonly missing = new Map<number, number>();

  readonly peerMac: Uint8Array;
  readonly peerHdr: Int32Array;
  readonly peerIf: Uint8Array;
  private readonly peerHash: Uint32Array;
  private peerCount = 0;

  constructor(
    interfaces: readonly InterfaceSpec[],
    readonly neighCapacity = 4096,
    readonly peerCapacity = 65536,
  ) {
    if (interfaces.length === 0 || interfaces.length > 255) throw new Error('the engine needs 1..255 interfaces');
    this.ifNames = interfaces.map((i) => i.name);
    this.ifMac = new Uint8Array(6 * interfaces.length);
    interfaces.forEach((itf, i) => this.ifMac.set(itf.mac, 6 * i));
    this.neighAddr = new Uint32Array(neighCapacity);
    this.neighMac = new Uint8Array(6 * neighCapacity);
    this.neighHdr = new Int32Array(3 * neighCapacity);
    this.neighIf = new Uint8Array(neighCapacity);
    this.neighState = new Uint8Array(neighCapacity);
    this.neighConfirmed = new Float64Array(neighCapacity);
    this.peerMac = new Uint8Array(6 * peerCapacity);
    this.peerHdr = new Int32Array(3 * peerCapacity);
    this.peerIf = new Uint8Array(peerCapacity);
    let size = 16;
    while (size < peerCapacity * 2) size <<= 1;
    this.peerHash = new Uint32Array(size);
  }

  ifIndex(name: string): number {
    return this.ifNames.indexOf(name);
  }

  /** Neighbour entry index for an address, or 0 when unknown. */
  resolve(addr: number): number {
    return this.neighByIp.get(addr) ?? 0;
  }

  /**
   * Records addr -> mac on interface itf. A static entry (--neigh, config) is
   * not overwritten by what traffic shows.
   */
  learn(addr: number, mac: Uint8Array, macOff: number, itf: number, state = NEIGH_LEARNED): number {
    let n = this.neighByIp.get(addr) ?? 0;
    if (n === 0) {
      if (this.neighCount + 1 >= this.neighCapacity) return 0;
      n = ++this.neighCount;
      this.neighByIp.set(addr, n);
      this.neighAddr[n] = addr;
    } else if (this.neighState[n] === NEIGH_STATIC && state !== NEIGH_STATIC) {
      return n;
    }
    copyMac(this.neighMac, 6 * n, mac, macOff);
    this.neighIf[n] = itf;
    this.macPair(this.neighHdr, n, this.neighMac, itf);
    this.neighState[n] = state;
    this.neighConfirmed[n] = this.now;
    this.missing.delete(addr);
    return n;
  }

  /**
   * Neighbour timeouts: a learned entry not confirmed within maxAgeMs is marked
   * failed (the router keeps asking; frames to it are dropped and counted rather
   * than sent to a MAC that may be gone). Static entries never fail. Returns how many failed.
   */
  ageOut(now: number, maxAgeMs: number): number {
    let failed = 0;
    for (let n = 1; n <= this.neighCount; n++) {
      if (this.neighState[n] === NEIGH_LEARNED && now - this.neighConfirmed[n] > maxAgeMs) {
        this.neighState[n] = NEIGH_FAILED;
        failed++;
      }
    }
    return failed;
  }

  /** Addresses of entries that are failed: the ARP agent keeps asking for them. */
  failedAddresses(): number[] {
    const out: number[] = [];
    for (let n = 1; n <= this.neighCount; n++) if (this.neighState[n] === NEIGH_FAILED) out.push(this.neighAddr[n]);
    return out;
  }

  noteMissing(addr: number): void {
    this.missing.set(addr, (this.missing.get(addr) ?? 0) + 1);
  }

  /** The last peer interned: nearly every new connection comes through the same gateway. */
  private lastPeer = 0;

  /** Index of the (interface, MAC) peer, added if new; 0 when the table is full. */
  internPeer(itf: number, buf: Uint8Array, macOff: number): number {
    const last = this.lastPeer;
    if (last !== 0 && this.peerIf[last] === itf && this.samePeerMac(last, buf, macOff)) return last;
    const p = this.findOrAddPeer(itf, buf, macOff);
    this.lastPeer = p;
    return p;
  }

  private findOrAddPeer(itf: number, buf: Uint8Array, macOff: number): number {
    const hi = (buf[macOff] << 8) | buf[macOff + 1];
    const lo = ((buf[macOff + 2] << 24) | (buf[macOff + 3] << 16) | (buf[macOff + 4] << 8) | buf[macOff + 5]) >>> 0;
    const mask = this.peerHash.length - 1;
    let h = Math.imul(lo ^ Math.imul(hi ^ (itf << 16), 0x85ebca6b), 0x9e3779b1);
    h = (h ^ (h >>> 16)) & mask;
    for (;;) {
      const p = this.peerHash[h];
      if (p === 0) break;
      if (this.peerIf[p] === itf && this.samePeerMac(p, buf, macOff)) return p;
      h = (h + 1) & mask;
    }
    if (this.peerCount + 1 >= this.peerCapacity) return 0;
    const p = ++this.peerCount;
    this.peerIf[p] = itf;
    copyMac(this.peerMac, 6 * p, buf, macOff);
    this.macPair(this.peerHdr, p, this.peerMac, itf);
    this.peerHash[h] = p;
    return p;
  }

  /** hdr[3n..3n+2] = the words of entry n's MAC (macs[6n..]) followed by interface itf's. */
  private macPair(hdr: Int32Array, n: number, macs: Uint8Array, itf: number): void {
    const d = 6 * n, s = 6 * itf, m = this.ifMac;
    hdr[3 * n] = (macs[d] << 24) | (macs[d + 1] << 16) | (macs[d + 2] << 8) | macs[d + 3];
    hdr[3 * n + 1] = (macs[d + 4] << 24) | (macs[d + 5] << 16) | (m[s] << 8) | m[s + 1];
    hdr[3 * n + 2] = (m[s + 2] << 24) | (m[s + 3] << 16) | (m[s + 4] << 8) | m[s + 5];
  }

  private samePeerMac(p: number, buf: Uint8Array, macOff: number): boolean {
    return macEquals(this.peerMac, 6 * p, buf, macOff);
  }


  describeMissing(): string[] {
    return [...this.missing].map(([addr, n]) => `${formatIPv4(addr)} (${n} frame${n === 1 ? '' : 's'})`);
  }
}
