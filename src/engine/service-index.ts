// Service lookup by (protocol, VIP, port) in typed arrays with open addressing,
// so the per-packet lookup allocates nothing and boxes no numbers. Addresses are
// kept and compared as int32 (see packet/rewrite.ts on why).

export class ServiceIndex {
  private readonly mask: number;
  private readonly proto: Uint8Array;
  private readonly addr: Int32Array;
  private readonly port: Uint16Array;
  private readonly val: Uint32Array;

  constructor(entries: number) {
    let size = 8;
    while (size < entries * 4) size <<= 1;
    this.mask = size - 1;
    this.proto = new Uint8Array(size);
    this.addr = new Int32Array(size);
    this.port = new Uint16Array(size);
    this.val = new Uint32Array(size);
  }

  private slot(proto: number, addr: number, port: number): number {
    let h = Math.imul(addr ^ (port << 16) ^ proto, 0x9e3779b1);
    h ^= h >>> 15;
    return h & this.mask;
  }

  set(proto: number, addr: number, port: number, value: number): void {
    addr |= 0;
    let i = this.slot(proto, addr, port);
    while (this.val[i] !== 0 && !(this.proto[i] === proto && this.addr[i] === addr && this.port[i] === port)) {
      i = (i + 1) & this.mask;
    }
    this.proto[i] = proto;
    this.addr[i] = addr;
    this.port[i] = port;
    this.val[i] = value;
  }

  get(proto: number, addr: number, port: number): number {
    addr |= 0;
    let i = this.slot(proto, addr, port);
    while (this.val[i] !== 0) {
      if (this.addr[i] === addr && this.port[i] === port && this.proto[i] === proto) return this.val[i];
      i = (i + 1) & this.mask;
    }
    return 0;
  }
}

/**
 * The same for IPv6 VIPs: 4 address words per entry (big-endian, as int32),
 * probed by their XOR fold. A packet's address is read from `a` at `o`.
 */
export class ServiceIndex6 {
  private readonly mask: number;
  private readonly proto: Uint8Array;
  private readonly addr: Int32Array;
  private readonly port: Uint16Array;
  private readonly val: Uint32Array;

  constructor(entries: number) {
    let size = 8;
    while (size < entries * 4) size <<= 1;
    this.mask = size - 1;
    this.proto = new Uint8Array(size);
    this.addr = new Int32Array(4 * size);
    this.port = new Uint16Array(size);
    this.val = new Uint32Array(size);
  }

  private slot(proto: number, a: Int32Array, o: number, port: number): number {
    let h = Math.imul(a[o] ^ a[o + 1] ^ a[o + 2] ^ a[o + 3] ^ (port << 16) ^ proto, 0x9e3779b1);
    h ^= h >>> 15;
    return h & this.mask;
  }

  private same(i: number, proto: number, a: Int32Array, o: number, port: number): boolean {
    const x = this.addr;
    const w = 4 * i;
    return this.port[i] === port && this.proto[i] === proto && x[w] === a[o] && x[w + 1] === a[o + 1] && x[w + 2] === a[o + 2] && x[w + 3] === a[o + 3];
  }

  set(proto: number, a: Int32Array, o: number, port: number, value: number): void {
    let i = this.slot(proto, a, o, port);
    while (this.val[i] !== 0 && !this.same(i, proto, a, o, port)) i = (i + 1) & this.mask;
    this.proto[i] = proto;
    this.addr.set(a.subarray(o, o + 4), 4 * i);
    this.port[i] = port;
    this.val[i] = value;
  }

  get(proto: number, a: Int32Array, o: number, port: number): number {
    let i = this.slot(proto, a, o, port);
    while (this.val[i] !== 0) {
      if (this.same(i, proto, a, o, port)) return this.val[i];
      i = (i + 1) & this.mask;
    }
    return 0;
  }
}
