// The AF_XDP backend: an XDP program (native/xdp_steer.c) on each device steers to
// an XSK socket only the frames the router handles (those the nftables fence keeps
// from the kernel: traffic to its owned addresses and NAT replies from real servers)
// and passes everything else to the kernel, which then never copies it for us. ARP
// stays with the kernel and reaches the engine through a small AF_PACKET tap ("arp"
// filter): XDP cannot both pass a frame and hand it over. Frames cross by copy, as
// with AF_PACKET, in XDP copy mode (veth and most drivers without zero-copy).
// ifIn/ifOut of a Batch are indices into `devices`. See docs/afxdp.md.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Batch } from '../frames/batch.js';
import type { LivePort, PortCounters } from '../frames/port.js';
import { AfPacketPort, rxViews, views } from './afpacket.js';
import { addonPath, hasNetRaw, inNetns, loadNative, type BatchViews, type NativeAddon } from './native.js';

export type XskHandle = { readonly __brand: 'tsvs-xsk-socket' };

/** The steering sets, in the order native/afxdp.c numbers them (the fence's set names). */
export const STEER_SETS = ['owned', 'local', 'nat_tcp', 'nat_udp', 'nat_any'] as const;
export type SteerSet = (typeof STEER_SETS)[number];
/** The set after them: address 0 in it steers every frame (XdpSteering.steerAll). */
const STEER_ALL = STEER_SETS.length;
export const STEER_CLEAR = 0;
export const STEER_ADD = 1;
export const STEER_DELETE = 2;

/** What native/afxdp.c exports. Every function throws an Error whose `code` is the errno name. */
export interface XdpAddon {
  /** mode: 0 native else generic, 1 generic only, 2 native only. */
  open(ifname: string, programPath: string, mode: number): XskHandle;
  info(h: XskHandle): { mode: 'native' | 'generic'; zeroCopy: boolean; queue: number };
  rx(h: XskHandle, views: BatchViews, count: number, used: number, max: number, ifIn: number): number;
  tx(h: XskHandle, views: BatchViews, count: number, ifOut: number): number;
  /** [rxDropped, rxRingFull, fillRingEmpty, rxInvalid, txInvalid, txRingEmpty, oversize, txUnsent, txErrors, lastTxError, txKicks] */
  stats(h: XskHandle): [number, number, number, number, number, number, number, number, number, string, number];
  poll(h: XskHandle, cb: (() => void) | null): void;
  close(h: XskHandle): void;
  /** op STEER_*; addr in host order; port only for nat_tcp / nat_udp. */
  steer(op: number, set: number, addr: number, port: number): void;
}

export interface XskStats {
  /** XDP_STATISTICS: frames the kernel could not hand over (no fill-ring chunk, too big), and those lost to a full RX ring. */
  rxDropped: number;
  rxRingFull: number;
  /** Times the kernel found the fill ring empty (each also drops the frame in copy mode). */
  fillRingEmpty: number;
  rxInvalid: number;
  txInvalid: number;
  txRingEmpty: number;
  /** Frames bigger than a batch buffer (skipped); TX frames with no free chunk or room in the TX ring; sends refused. */
  oversize: number;
  txUnsent: number;
  txErrors: number;
  lastTxError: string;
  txKicks: number;
}

export type XdpLoad = { addon: XdpAddon; program: string; reason: null } | { addon: null; program: string; reason: string };

/** Where node-gyp puts the addon and the compiled XDP program. */
export function xdpPaths(): { addon: string; program: string } {
  const dir = dirname(addonPath());
  return { addon: join(dir, 'tsvs_afxdp.node'), program: join(dir, 'tsvs_xdp.bpf.o') };
}

let cached: XdpLoad | undefined;

/** The XDP addon, or null with the reason (not built, no XDP program, not root). */
export function loadXdp(): XdpLoad {
  if (cached) return cached;
  const p = xdpPaths();
  let r: XdpLoad;
  if (!existsSync(p.addon)) r = { addon: null, program: p.program, reason: `not built: ${p.addon} is missing (npm run build:native builds it; needs libbpf-dev and clang)` };
  else if (!existsSync(p.program)) r = { addon: null, program: p.program, reason: `the XDP program ${p.program} is missing (npm run build:native builds it with clang)` };
  else if (!hasNetRaw()) r = { addon: null, program: p.program, reason: 'not root: XDP needs CAP_NET_ADMIN, CAP_BPF and CAP_NET_RAW' };
  else {
    try {
      r = { addon: createRequire(import.meta.url)(p.addon) as XdpAddon, program: p.program, reason: null };
    } catch (e) {
      r = { addon: null, program: p.program, reason: `cannot load ${p.addon}: ${(e as Error).message}` };
    }
  }
  return (cached = r);
}

export interface AfXdpOptions {
  netns?: string;
  /** XDP attach mode: native (driver) only, generic (skb) only, or auto: native, else generic. Default auto. */
  mode?: 'auto' | 'native' | 'generic';
}

const MODES = { auto: 0, generic: 1, native: 2 } as const;

export class AfXdpPort implements LivePort {
  readonly info: Array<{ index: number; mac: Uint8Array; mtu: number }>;
  /** How each device's program is attached (native or generic) and whether the socket is zero-copy. */
  readonly xdp: Array<{ mode: 'native' | 'generic'; zeroCopy: boolean; queue: number }>;
  private readonly socks: XskHandle[] = [];
  /** The ARP tap: ARP goes to the kernel, and a copy to the engine through AF_PACKET. */
  private readonly arp: AfPacketPort;
  private first = 0;
  private closed = false;

  constructor(
    readonly devices: readonly string[],
    opts: AfXdpOptions = {},
    load: XdpLoad = loadXdp(),
    native: NativeAddon | null = loadNative().addon,
  ) {
    if (devices.length === 0 || devices.length > 255) throw new RangeError('AfXdpPort needs 1 to 255 devices');
    if (!load.addon) throw new Error(`XDP backend not available (${load.reason})`);
    if (!native) throw new Error(`XDP backend not available (it needs the AF_PACKET addon too, for ARP: ${loadNative().reason})`);
    const x = load.addon;
    this.x = x;
    // A few small blocks: ARP only (frames of 60 bytes), and sends go through the XSK sockets.
    this.arp = new AfPacketPort(devices, { filter: 'arp', blocks: 4, blockSize: 64 << 10, vnetHdr: false, netns: opts.netns, deviceCounters: false }, native);
    try {
      this.info = inNetns(opts.netns, () => {
        for (const d of devices) this.socks.push(x.open(d, load.program, MODES[opts.mode ?? 'auto']));
        return devices.map((d) => native.ifInfo(d));
      }, native);
    } catch (e) {
      this.close();
      throw e;
    }
    this.xdp = this.socks.map((s) => x.info(s));
  }

  private readonly x: XdpAddon;

  rx(batch: Batch, max: number): number {
    let got = this.arp.rx(batch, max);
    const v = rxViews(batch);
    const k = this.socks.length;
    for (let j = 0; j < k && got < max && batch.count < batch.capacity; j++) {
      const s = (this.first + j) % k;
      const n = this.x.rx(this.socks[s], v, batch.count, batch.used, max - got, s);
      batch.count += n;
      got += n;
    }
    this.first = (this.first + 1) % k;
    return got;
  }

  tx(batch: Batch): number {
    const v = views(batch);
    let sent = 0;
    for (let s = 0; s < this.socks.length; s++) sent += this.x.tx(this.socks[s], v, batch.count, s);
    return sent;
  }

  onReadable(cb: (() => void) | null): void {
    if (this.closed) return;
    this.arp.onReadable(cb);
    for (const s of this.socks) this.x.poll(s, cb);
  }

  /** Per device: the XSK socket's counters (the kernel's XDP_STATISTICS and the port's own). */
  stats(): XskStats[] {
    return this.socks.map((s) => {
      const [rxDropped, rxRingFull, fillRingEmpty, rxInvalid, txInvalid, txRingEmpty, oversize, txUnsent, txErrors, lastTxError, txKicks] = this.x.stats(s);
      return { rxDropped, rxRingFull, fillRingEmpty, rxInvalid, txInvalid, txRingEmpty, oversize, txUnsent, txErrors, lastTxError, txKicks };
    });
  }

  counters(): PortCounters {
    if (this.closed) return { ringDrops: 0, truncated: 0, oversize: 0, txUnsent: 0, txErrors: 0, txWaits: 0 };
    return xskCounters(this.stats(), this.arp.counters());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.socks) this.x.close(s);
    this.arp?.close();
  }
}

/**
 * The XSK sockets' counters as PortCounters, added to the ARP tap's: a frame the kernel
 * could not hand over (rx_dropped: no fill-ring chunk or too big; rx_ring_full) is a ring
 * drop, as a full TPACKET ring's is; frames the kernel refused to send are send errors.
 */
export function xskCounters(socks: readonly XskStats[], arp: PortCounters): PortCounters {
  const c: PortCounters = { ringDrops: arp.ringDrops, truncated: arp.truncated, oversize: arp.oversize, txUnsent: arp.txUnsent, txErrors: arp.txErrors, txWaits: 0 };
  for (const s of socks) {
    c.ringDrops += s.rxDropped + s.rxRingFull;
    c.truncated += s.rxInvalid;
    c.oversize += s.oversize;
    c.txUnsent += s.txUnsent;
    c.txErrors += s.txErrors + s.txInvalid;
  }
  return c;
}

/** "198.18.0.1" -> 0xc6120001. */
function ipv4(s: string): number {
  const p = s.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`not an IPv4 address: ${s}`);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

/** A fence set element as nft writes it ("198.18.0.1" or "198.18.1.2 . 80") -> [address, port]. */
export function parseElement(set: SteerSet, el: string): [number, number] {
  if (set === 'nat_tcp' || set === 'nat_udp') {
    const m = /^(\S+) \. (\d+)$/.exec(el);
    if (!m || Number(m[2]) > 65535) throw new Error(`not an address . port: ${el}`);
    return [ipv4(m[1]), Number(m[2])];
  }
  return [ipv4(el), 0];
}

type SetsLike = Record<SteerSet, ReadonlySet<string>>;

/**
 * The XDP programs' steering maps kept equal to the nftables fence's sets
 * (router/fence.ts calls it after each nft transaction that succeeded): one set
 * of maps per process, shared by every device's program.
 */
export class XdpSteering {
  constructor(private readonly x: Pick<XdpAddon, 'steer'>) {}

  /** Empties the maps and fills them with `sets`. */
  install(sets: SetsLike): void {
    this.x.steer(STEER_CLEAR, 0, 0, 0);
    this.apply(STEER_ADD, sets);
  }

  add(sets: SetsLike): void {
    this.apply(STEER_ADD, sets);
  }

  delete(sets: SetsLike): void {
    this.apply(STEER_DELETE, sets);
  }

  /** Every frame of every device goes to the XSK sockets (on), or only the fence's flows (off): for tests and benches. */
  steerAll(on: boolean): void {
    this.x.steer(on ? STEER_ADD : STEER_DELETE, STEER_ALL, 0, 0);
  }

  /** Nothing is steered any more (the fence is gone). */
  clear(): void {
    this.x.steer(STEER_CLEAR, 0, 0, 0);
  }

  private apply(op: number, sets: SetsLike): void {
    STEER_SETS.forEach((name, i) => {
      for (const el of sets[name]) {
        const [addr, port] = parseElement(name, el);
        this.x.steer(op, i, addr, port);
      }
    });
  }
}
