// The addresses the router owns (VIPs, the NAT router address) and the interface
// holding each. Every TCP/UDP frame asks whether its destination is one of them (a
// client's packet, or maybe a NAT reply), so the set is one Int32Array probed
// linearly: a hit is one multiply and one or two loads, with no Map and no boxing.

export class OwnedAddresses {
  /** Addresses as int32; 0 = empty cell (0.0.0.0 is never owned). */
  private readonly keys: Int32Array;
  private readonly itf: Int32Array;
  private readonly shift: number;
  private readonly mask: number;

  constructor(entries: ReadonlyArray<readonly [address: number, ifIndex: number]>) {
    let bits = 3;
    while (1 << bits < 4 * entries.length) bits++;
    this.keys = new Int32Array(1 << bits);
    this.itf = new Int32Array(1 << bits);
    this.shift = 32 - bits;
    this.mask = (1 << bits) - 1;
    for (const [address, ifIndex] of entries) {
      const a = address | 0;
      if (a === 0) continue;
      const i = this.cell(a);
      this.keys[i] = a;
      this.itf[i] = ifIndex;
    }
  }

  /** The interface holding addr, or -1 when the router does not own it. */
  get(addr: number): number {
    const i = this.cell(addr | 0);
    return this.keys[i] === 0 ? -1 : this.itf[i];
  }

  has(addr: number): boolean {
    return this.keys[this.cell(addr | 0)] !== 0;
  }

  /** The cell holding a, or the empty cell where it would go. */
  private cell(a: number): number {
    const keys = this.keys;
    let i = Math.imul(a, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const k = keys[i];
      if (k === a || k === 0) return i;
      i = (i + 1) & this.mask;
    }
  }
}
