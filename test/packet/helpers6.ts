// IPv6 test frames laid out byte by byte from RFC 8200 (header, extension headers),
// independent of src/packet's builders, and a reference checksum over the RFC 8200
// section 8.1 pseudo-header laid out as bytes (refChecksum from helpers.ts).
import { refChecksum } from './helpers.js';

/** "2001:db8::1" -> 16 bytes (the test's own parser: hex groups, one "::"). */
export function a6(text: string): Uint8Array {
  const [h, t] = text.includes('::') ? text.split('::') : [text, undefined];
  const head = h ? h.split(':') : [];
  const tail = t ? t.split(':') : [];
  const groups = [...head, ...Array(8 - head.length - tail.length).fill('0'), ...tail];
  if (groups.length !== 8) throw new Error(`bad test address ${text}`);
  const b = new Uint8Array(16);
  groups.forEach((g, i) => { const v = parseInt(g, 16); b[2 * i] = v >> 8; b[2 * i + 1] = v & 0xff; });
  return b;
}

/** The 4 big-endian words of an address as an Int32Array. */
export function w6(text: string): Int32Array {
  const b = a6(text);
  const w = new Int32Array(4);
  for (let i = 0; i < 4; i++) w[i] = (b[4 * i] << 24) | (b[4 * i + 1] << 16) | (b[4 * i + 2] << 8) | b[4 * i + 3];
  return w;
}

/** An extension header: its Next Header byte is filled in by frame6. */
export interface Ext { type: number; bytes: Uint8Array }

/** Hop-by-Hop, Routing or Destination Options of (units+1)*8 bytes, padded with one PadN option. */
export function optsExt(type: number, units = 0): Ext {
  const b = new Uint8Array((units + 1) * 8);
  b[1] = units;
  if (type === 43) { b[2] = 4; b[3] = 0; } // routing type 4 (SRH-like), segments left 0
  else { b[2] = 1; b[3] = b.length - 4; } // PadN covering the rest (RFC 8200 section 4.2)
  return { type, bytes: b };
}

/** Fragment header: offset in bytes (a multiple of 8), M flag, identification. */
export function fragExt(offset: number, more: boolean, id = 0x01020304): Ext {
  const b = new Uint8Array(8);
  const fo = offset | (more ? 1 : 0);
  b[2] = fo >> 8; b[3] = fo & 0xff;
  b[4] = id >>> 24; b[5] = (id >> 16) & 0xff; b[6] = (id >> 8) & 0xff; b[7] = id & 0xff;
  return { type: 44, bytes: b };
}

export interface Frame6 {
  src?: string; dst?: string; hop?: number; exts?: Ext[]; proto: number; l4: Uint8Array;
  dstMac?: number[]; srcMac?: number[];
  /** Bytes of Ethernet padding after the datagram. */
  pad?: number;
  /** Fill the TCP/UDP/ICMPv6 checksum with the reference sum (default true). */
  csum?: boolean;
}

export const ETH = 14;

/** Ethernet + IPv6 + extension headers + the upper-layer bytes. */
export function frame6(o: Frame6): Uint8Array {
  const exts = o.exts ?? [];
  const extLen = exts.reduce((n, e) => n + e.bytes.length, 0);
  const payLen = extLen + o.l4.length;
  const f = new Uint8Array(ETH + 40 + payLen + (o.pad ?? 0));
  f.set(o.dstMac ?? [0x02, 0, 0, 0, 0, 0x02], 0);
  f.set(o.srcMac ?? [0x02, 0, 0, 0, 0, 0x01], 6);
  f[12] = 0x86; f[13] = 0xdd;
  const l3 = ETH;
  f[l3] = 0x60;
  f[l3 + 4] = payLen >> 8; f[l3 + 5] = payLen & 0xff;
  f[l3 + 6] = exts.length ? exts[0].type : o.proto;
  f[l3 + 7] = o.hop ?? 64;
  f.set(a6(o.src ?? '2001:db8::1'), l3 + 8);
  f.set(a6(o.dst ?? '2001:db8::2'), l3 + 24);
  let p = l3 + 40;
  exts.forEach((e, i) => {
    f.set(e.bytes, p);
    f[p] = i + 1 < exts.length ? exts[i + 1].type : o.proto;
    p += e.bytes.length;
  });
  f.set(o.l4, p);
  const field = o.proto === 6 ? 16 : o.proto === 17 ? 6 : o.proto === 58 ? 2 : -1;
  if (o.csum !== false && field >= 0 && o.l4.length >= field + 2) {
    let c = refL4Checksum6(f, l3, p, o.l4.length, o.proto, p + field);
    if (o.proto === 17 && c === 0) c = 0xffff;
    f[p + field] = c >> 8; f[p + field + 1] = c & 0xff;
  }
  return f;
}

/** The reference: pseudo-header bytes (src, dst, 32-bit length, 3 zeros, next header) then the message, field zeroed. */
export function refL4Checksum6(f: Uint8Array, l3: number, l4: number, len: number, proto: number, fieldAt: number): number {
  const all = new Uint8Array(40 + len);
  all.set(f.subarray(l3 + 8, l3 + 40), 0);
  all[32] = len >>> 24; all[33] = (len >> 16) & 0xff; all[34] = (len >> 8) & 0xff; all[35] = len & 0xff;
  all[39] = proto;
  all.set(f.subarray(l4, l4 + len), 40);
  all[40 + fieldAt - l4] = 0;
  all[40 + fieldAt - l4 + 1] = 0;
  return refChecksum(all);
}

export function tcpSeg(sport: number, dport: number, flags = 0x02, payload: number[] = []): Uint8Array {
  const b = new Uint8Array(20 + payload.length);
  b[0] = sport >> 8; b[1] = sport & 0xff; b[2] = dport >> 8; b[3] = dport & 0xff;
  b[7] = 1; // seq 1
  b[12] = 0x50; b[13] = flags; b[14] = 0xff; b[15] = 0xff;
  b.set(payload, 20);
  return b;
}

export function udpSeg(sport: number, dport: number, payload: number[] = []): Uint8Array {
  const b = new Uint8Array(8 + payload.length);
  const len = b.length;
  b[0] = sport >> 8; b[1] = sport & 0xff; b[2] = dport >> 8; b[3] = dport & 0xff;
  b[4] = len >> 8; b[5] = len & 0xff;
  b.set(payload, 8);
  return b;
}

/** ICMPv6: type, code, checksum 0, then body (bytes 4..). */
export function icmp6Msg(type: number, code: number, body: ArrayLike<number>): Uint8Array {
  const b = new Uint8Array(4 + body.length);
  b[0] = type; b[1] = code;
  b.set(body as ArrayLike<number>, 4);
  return b;
}

/** NS/NA body: flags word, target, then options. */
export function ndBody(flags: number, target: string, opts: number[] = []): number[] {
  return [flags, 0, 0, 0, ...a6(target), ...opts];
}
