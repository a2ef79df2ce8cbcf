// Raw ICMP sockets (the `raw-socket` npm package, loaded as src/io/l3.ts loads
// it) for the echo check, and for watching the ICMP errors a UDP check draws.
//
// Why UDP checks watch ICMP themselves: keepalived sets IP_RECVERR on its UDP
// socket and fails on any destination unreachable (layer4.c udp_socket_error).
// Node cannot set IP_RECVERR, and without it Linux reports only the "hard"
// errors to a connected UDP socket (port and protocol unreachable; icmp.c
// icmp_err_convert marks network and host unreachable as soft). A dead host on
// the local network shows up only as the host unreachable the router's own
// stack sends itself when ARP fails, so a UDP check that ignored it would pass.
import { createRequire } from 'node:module';
import { ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED } from '../../packet/icmp.js';
import type { Attempt } from './attempt.js';

export interface RawSocket {
  send(buf: Buffer, offset: number, length: number, address: string, after: (err: Error | null, bytes: number) => void): void;
  setOption(level: number, option: number, value: number): void;
  on(event: 'message', cb: (buf: Buffer, source: string) => void): void;
  on(event: 'error', cb: (e: Error) => void): void;
  close(): void;
}
export interface RawModule {
  createSocket(o: { protocol: number }): RawSocket;
  Protocol: { ICMP: number };
  SocketLevel: { IPPROTO_IP: number };
  SocketOption: { IP_HDRINCL: number };
}

let raw: RawModule | null | undefined;

/** The raw-socket package, or null when it is not installed or not built. */
export function loadRaw(): RawModule | null {
  if (raw === undefined) {
    try {
      raw = createRequire(import.meta.url)('raw-socket') as RawModule;
    } catch {
      raw = null;
    }
  }
  return raw;
}

/** A raw ICMP socket closed when the attempt ends; throws (EPERM without CAP_NET_RAW). */
export function openIcmp(a: Attempt, mod: RawModule): RawSocket {
  const sock = mod.createSocket({ protocol: mod.Protocol.ICMP });
  a.onEnd(() => sock.close());
  return sock;
}

export interface IcmpError {
  type: number;
  code: number;
  /** Who sent the error. */
  from: string;
  /** The quoted datagram: "Internet Header + 64 bits of Original Data Datagram" (RFC 792). */
  inner: Uint8Array;
  /** Offset of the quoted transport header in `inner`. */
  innerL4: number;
}

/** A received IPv4 packet (a raw socket hands over the IP header too) if it is a destination unreachable or time exceeded. */
export function icmpError(p: Uint8Array): IcmpError | null {
  const ihl = (p[0] & 0x0f) * 4;
  if (p.length < ihl + 8 + 20 || p[9] !== 1) return null;
  const type = p[ihl];
  if (type !== ICMP_DEST_UNREACH && type !== ICMP_TIME_EXCEEDED) return null;
  const inner = p.subarray(ihl + 8);
  const innerL4 = (inner[0] & 0x0f) * 4;
  if (inner.length < innerL4 + 8) return null;
  return { type, code: p[ihl + 1], from: dotted(p, 12), inner, innerL4 };
}

const UNREACH_CODES: Record<number, string> = {
  0: 'network unreachable',
  1: 'host unreachable',
  2: 'protocol unreachable',
  3: 'port unreachable',
  9: 'network administratively prohibited',
  10: 'host administratively prohibited',
  13: 'communication administratively prohibited',
};

export function icmpErrorText(e: Pick<IcmpError, 'type' | 'code'>): string {
  if (e.type === ICMP_TIME_EXCEEDED) return 'ttl exceeded';
  return UNREACH_CODES[e.code] ?? `destination unreachable (code ${e.code})`;
}

export const dotted = (b: Uint8Array, off: number): string => `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;

export interface UdpFlow {
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
}

/**
 * Fails the attempt on a destination unreachable that quotes a datagram of
 * `flow` (keepalived: any ICMP_DEST_UNREACH). Returns false, watching nothing,
 * when there is no raw socket to watch with (not installed, or not root): the
 * connected socket still reports port unreachable then.
 */
export function watchUdpUnreachable(a: Attempt, flow: UdpFlow): boolean {
  const mod = loadRaw();
  if (!mod) return false;
  let sock: RawSocket;
  try {
    sock = openIcmp(a, mod);
  } catch {
    return false;
  }
  sock.on('error', () => sock.close()); // watching is a bonus: the check goes on without it
  sock.on('message', (p) => {
    const e = icmpError(p);
    if (e && e.type === ICMP_DEST_UNREACH && quotesFlow(e, flow)) a.fail(icmpErrorText(e));
  });
  return true;
}

function quotesFlow(e: IcmpError, f: UdpFlow): boolean {
  const { inner, innerL4: l4 } = e;
  return (
    inner[9] === 17 &&
    dotted(inner, 12) === f.src &&
    dotted(inner, 16) === f.dst &&
    ((inner[l4] << 8) | inner[l4 + 1]) === f.srcPort &&
    ((inner[l4 + 2] << 8) | inner[l4 + 3]) === f.dstPort
  );
}
