// What the engine knows of layer 2: its own interfaces and their MACs, and the
// client-side peers (interface + MAC a client's frames came from) that NAT
// replies go back through. Entries keep their index for life, so connections
// can cache an index and the per-packet path reads typed arrays only. The
// neighbours it forwards to (real servers) are neighbours.ts's.
import { copyMac, macEquals } from '../packet/ethernet.js';

export interface InterfaceSpec {
  readonly name: string;
  readonly mac: Uint8Array;
}

export class L2Table {
  readonly ifNames: string[];
  readonly ifMac: Uint8Array;

  readonly peerMac: Uint8Array;
  readonly peerHdr: Int32Array;
  readonly peerIf: Uint8Array;
  private readonly peerHash: Uint32Array;
  private peerCount = 0;

  constructor(
    interfaces: readonly InterfaceSpec[],
    readonly peerCapacity = 65536,
  ) {
    if (interfaces.length === 0 || interfaces.length > 255) throw new Error('the engine needs 1..255 interfaces');
    this.ifNames = interfaces.map((i) => i.name);
    this.ifMac = new Uint8Array(6 * interfaces.length);
    interfaces.forEach((itf, i) => this.ifMac.set(itf.mac, 6 * i));
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
