// VRRP's socket: a raw IPv4 socket for protocol 112 (the `raw-socket` package,
// as the ICMP check loads it), as keepalived opens one. It is bound to the VRRP
// interface, joins 224.0.0.18 there (multicast) and does not hear its own
// multicast; what it sends is the whole IPv4 packet (IP_HDRINCL: TTL 255 and TOS
// 0xc0, vrrp-wire.ts encodeIpPacket), what it hands over is the whole packet as
// received (the machine checks the TTL and the v3 pseudo-header from it).
import { readFileSync } from 'node:fs';
import { IPPROTO_VRRP, VRRP_GROUP } from '../ha/vrrp-wire.js';
import { loadRaw, type RawSocket } from '../health/probes/raw-icmp.js';
import { formatIPv4, parseIPv4 } from '../model/index.js';

/** What the failover component needs of VRRP's socket (tests give it a memory one). */
export interface VrrpSocket {
  open(): void;
  /** Each received IPv4 packet, header included, with its source. */
  onPacket(fn: (packet: Uint8Array, from: number) => void): void;
  /** Sends a whole IPv4 packet to `to`; `done` gets the error of a send that failed. */
  send(packet: Uint8Array, to: number, done: (err: Error | null) => void): void;
  close(): void;
}

// <linux/in.h>, <asm-generic/socket.h>: raw-socket names only a few.
const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const IPPROTO_IP = 0;
const IP_HDRINCL = 3;
const IP_MULTICAST_IF = 32;
const IP_MULTICAST_LOOP = 34;
const IP_ADD_MEMBERSHIP = 35;

interface RawOptions extends RawSocket {
  setOption(level: number, option: number, value: number | Buffer, length?: number): void;
}

/** The raw VRRP socket on `dev` (multicast: joined to 224.0.0.18 there); throws without raw-socket or CAP_NET_RAW. */
export function rawVrrpSocket(dev: string, multicast: boolean): VrrpSocket {
  let sock: RawOptions | null = null;
  let onPacket: (packet: Uint8Array, from: number) => void = () => {};
  return {
    open() {
      const raw = loadRaw();
      if (!raw) throw new Error('failover = vrrp needs the raw-socket package (npm install raw-socket; it is an optional dependency)');
      const s = raw.createSocket({ protocol: IPPROTO_VRRP }) as RawOptions;
      sock = s;
      s.on('error', () => {});
      s.on('message', (buf, source) => {
        const from = parseIPv4(source);
        if (from !== null) onPacket(new Uint8Array(buf.buffer, buf.byteOffset, buf.length), from);
      });
      const name = Buffer.from(`${dev}\0`);
      s.setOption(SOL_SOCKET, SO_BINDTODEVICE, name, name.length);
      s.setOption(IPPROTO_IP, IP_HDRINCL, 1);
      if (!multicast) return;
      const ifindex = Number(readFileSync(`/sys/class/net/${dev}/ifindex`, 'utf8').trim());
      // struct ip_mreqn { imr_multiaddr, imr_address, imr_ifindex }.
      const mreqn = Buffer.alloc(12);
      mreqn.writeUInt32BE(VRRP_GROUP, 0);
      mreqn.writeInt32LE(ifindex, 8);
      s.setOption(IPPROTO_IP, IP_ADD_MEMBERSHIP, mreqn, 12);
      s.setOption(IPPROTO_IP, IP_MULTICAST_IF, mreqn, 12);
      s.setOption(IPPROTO_IP, IP_MULTICAST_LOOP, 0);
    },
    onPacket: (fn) => (onPacket = fn),
    send(packet, to, done) {
      if (!sock) return done(new Error('the VRRP socket is closed'));
      const buf = Buffer.from(packet.buffer, packet.byteOffset, packet.length);
      sock.send(buf, 0, buf.length, formatIPv4(to), (err) => done(err ?? null));
    },
    close() {
      sock?.close();
      sock = null;
    },
  };
}
