// Loads the native AF_PACKET addon (native/afpacket.c), or says why it cannot, so
// callers fall back clearly to the pcap backend (as bufferutil falls back to JS).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Opaque handle of one packet socket. */
export type SocketHandle = { readonly __brand: 'tsvs-packet-socket' };

/** The typed arrays of a Batch, in the order the addon reads them (see views() in afpacket.ts). */
export type BatchViews = readonly [
  Uint8Array, Uint32Array, Uint32Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array,
  Uint8Array, Uint8Array, Uint16Array, Uint16Array, Uint16Array, Uint16Array,
];

export interface SocketStats {
  /** Frames the kernel dropped because the ring was full. */
  drops: number;
  /** Frames cut short to fit a ring block (skipped), and frames bigger than a whole batch buffer (skipped). */
  truncated: number;
  oversize: number;
  /** TX frames not sent because the socket would block, and frames the kernel refused. */
  txUnsent: number;
  txErrors: number;
  /** errno name of the last refused frame ("EMSGSIZE"), or "". */
  lastTxError: string;
  /** Sends that waited for room in the send buffer or the device's queue (not lost). */
  txWaits: number;
}

/** Flags of open(); must match native/afpacket.c. */
export const F_VNET = 1;
export const F_QDISC_BYPASS = 2;
export const F_IGNORE_OUTGOING = 4;
export const F_BLOCKING = 8;

/** What native/afpacket.c exports. Every function throws an Error whose `code` is the errno name. */
export interface NativeAddon {
  /** blocks = 0: a send-only socket. fanout: -1 for none, else group | mode << 16. */
  open(ifname: string, filter: string | null, blockSize: number, blocks: number, flags: number, fanout: number): SocketHandle;
  rx(h: SocketHandle, views: BatchViews, count: number, used: number, max: number, ifIn: number): number;
  tx(h: SocketHandle, views: BatchViews, count: number, ifOut: number): number;
  /** [drops, truncated, oversize, txUnsent, txErrors, lastTxError, txWaits] (see SocketStats). */
  stats(h: SocketHandle): [number, number, number, number, number, string, number];
  poll(h: SocketHandle, cb: (() => void) | null): void;
  close(h: SocketHandle): void;
  ifInfo(name: string): { index: number; mac: Uint8Array; mtu: number };
  netnsEnter(path: string): number;
  netnsLeave(fd: number): void;
  /** PACKET_FANOUT_DATA: the classic BPF program (struct sock_filter, 8 bytes each) of the socket's PACKET_FANOUT_CBPF group. */
  fanoutData(h: SocketHandle, program: Uint8Array): void;
  /** The id of the socket's fanout group (getsockopt PACKET_FANOUT). */
  fanoutGroup(h: SocketHandle): number;
  /** SO_PEERCRED of a connected unix socket. */
  peerCred(fd: number): { pid: number; uid: number; gid: number };
}

export type NativeLoad = { addon: NativeAddon; reason: null } | { addon: null; reason: string };

/** Where node-gyp puts the addon, from the package root (works from src/ and dist/). */
export function addonPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return join(dir, 'native', 'build', 'Release', 'tsvs_afpacket.node');
}

/** CAP_NET_RAW (bit 13) in the effective set: what AF_PACKET sockets need. */
export function hasNetRaw(): boolean {
  if (process.getuid?.() === 0) return true;
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m !== null && (BigInt('0x' + m[1]) & (1n << 13n)) !== 0n;
  } catch {
    return false;
  }
}

let cached: NativeLoad | undefined;

/**
 * The addon, or null with the reason: not built (node-gyp did not run or failed), or
 * no CAP_NET_RAW (not root). `path` is for tests.
 */
export function loadNative(path?: string): NativeLoad {
  if (path === undefined && cached) return cached;
  const file = path ?? addonPath();
  let result: NativeLoad;
  if (!existsSync(file)) {
    result = { addon: null, reason: `not built: ${file} is missing (npm install builds it; needs make, g++ and libpcap-dev)` };
  } else {
    try {
      const addon = createRequire(import.meta.url)(file) as NativeAddon;
      result = hasNetRaw() ? { addon, reason: null } : { addon: null, reason: 'not root: AF_PACKET sockets need CAP_NET_RAW' };
    } catch (e) {
      result = { addon: null, reason: `cannot load ${file}: ${(e as Error).message}` };
    }
  }
  if (path === undefined) cached = result;
  return result;
}

/** The addon, or an Error carrying the reason. */
export function requireNative(): NativeAddon {
  const n = loadNative();
  if (!n.addon) throw new Error(`native AF_PACKET backend not available (${n.reason})`);
  return n.addon;
}

/** "/run/netns/NAME" for a bare name (as `ip netns add` creates), a path as is. */
export function netnsPath(ns: string): string {
  return ns.includes('/') ? ns : `/run/netns/${ns}`;
}

/**
 * Runs `fn` with the main thread in network namespace `ns`: sockets opened inside stay
 * there, and child processes spawned inside start there. Synchronous, so no other JS
 * runs in the namespace; the thread always comes back, even when `fn` throws.
 */
export function inNetns<T>(ns: string | undefined, fn: () => T, addon?: NativeAddon): T {
  if (!ns) return fn();
  const a = addon ?? requireNative();
  const back = a.netnsEnter(netnsPath(ns));
  try {
    return fn();
  } finally {
    a.netnsLeave(back);
  }
}
