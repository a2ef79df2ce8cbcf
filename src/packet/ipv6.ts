// IPv6 header (RFC 8200 section 3). Offsets are relative to the header start (l3).
// An address is 16 bytes on the wire; off the wire tsvs holds it as 4 words of an
// Int32Array (network order, each word read big-endian), so a table row or a
// scheduler key is 4 numbers, never an object or a string.
import { readU32, writeU32 } from './bytes.js';

export const IPV6_VER_TC_FL = 0; // version (4 bits), traffic class (8), flow label (20)
export const IPV6_PAYLEN = 4;
export const IPV6_NEXT = 6;
export const IPV6_HOPLIMIT = 7;
export const IPV6_SRC = 8;
export const IPV6_DST = 24;
/** The fixed header: "40 octets" (RFC 8200 section 3). */
export const IPV6_HLEN = 40;

// Next Header values (IANA "Assigned Internet Protocol Numbers"; RFC 8200 section 4).
export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_NONE = 59;
export const IPPROTO_DSTOPTS = 60;

/** Fragment header (RFC 8200 section 4.5): next header, reserved, offset|res|M, identification. */
export const FRAG6_HLEN = 8;
export const FRAG6_OFF = 2; // 13-bit offset in 8-octet units in the high bits, M in bit 0
export const FRAG6_ID = 4;
/** The minimum link MTU: "every link in the Internet [must] have an MTU of 1280 octets or greater" (RFC 8200 section 5). */
export const IPV6_MIN_MTU = 1280;

/** Reads the address at buf[at, at+16) into out[o..o+3] (big-endian words, stored as int32). */
export function readAddr6(buf: Uint8Array, at: number, out: Int32Array, o: number): void {
  out[o] = readU32(buf, at);
  out[o + 1] = readU32(buf, at + 4);
  out[o + 2] = readU32(buf, at + 8);
  out[o + 3] = readU32(buf, at + 12);
}

/** Writes words[o..o+3] as the address at buf[at, at+16). */
export function writeAddr6(buf: Uint8Array, at: number, words: Int32Array, o: number): void {
  writeU32(buf, at, words[o]);
  writeU32(buf, at + 4, words[o + 1]);
  writeU32(buf, at + 8, words[o + 2]);
  writeU32(buf, at + 12, words[o + 3]);
}

/**
 * The 32-bit key IPVS's schedulers hash for an IPv6 address: ip_vs_sh, ip_vs_dh,
 * ip_vs_lblc and ip_vs_mh use `addr->ip6[0]^addr->ip6[1]^addr->ip6[2]^addr->ip6[3]`.
 * Each word is read big-endian here (tsvs keeps IPv4 addresses as host-order
 * numbers too), so the XOR is the kernel's value in host order. Unsigned.
 */
export function fold6(buf: Uint8Array, at: number): number {
  return (readU32(buf, at) ^ readU32(buf, at + 4) ^ readU32(buf, at + 8) ^ readU32(buf, at + 12)) >>> 0;
}

/** fold6 of an address held as words. */
export function foldWords6(words: Int32Array, o: number): number {
  return (words[o] ^ words[o + 1] ^ words[o + 2] ^ words[o + 3]) >>> 0;
}

/** Whether buf[at, at+16) is the address words[o..o+3]. */
export function addr6Equals(buf: Uint8Array, at: number, words: Int32Array, o: number): boolean {
  return (
    (readU32(buf, at) | 0) === words[o] && (readU32(buf, at + 4) | 0) === words[o + 1] &&
    (readU32(buf, at + 8) | 0) === words[o + 2] && (readU32(buf, at + 12) | 0) === words[o + 3]
  );
}

/** The unspecified address :: (RFC 4291 section 2.5.2), the source of a DAD probe. */
export function isUnspecified6(buf: Uint8Array, at: number): boolean {
  for (let i = 0; i < 16; i++) if (buf[at + i] !== 0) return false;
  return true;
}

/** Multicast: "binary 11111111 at the start of the address" (RFC 4291 section 2.7). */
export function isMulticast6(buf: Uint8Array, at: number): boolean {
  return buf[at] === 0xff;
}

/** "2001:db8::1" (RFC 4291 section 2.2 text forms, a trailing dotted IPv4 included) as 4 words; throws on bad text. Not for the data plane. */
export function ipv6Words(text: string, out: Int32Array = new Int32Array(4), o = 0): Int32Array {
  const bad = (): never => { throw new Error(`not an IPv6 address: ${text}`); };
  let s = text;
  const v4 = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const b = v4.slice(2).map(Number);
    if (b.some((x) => x > 255)) bad();
    s = `${v4[1]}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) bad();
  const side = (h: string): number[] =>
    h === '' ? [] : h.split(':').map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : bad()));
  const head = side(halves[0]);
  const tail = halves.length === 2 ? side(halves[1]) : [];
  const n = head.length + tail.length;
  if (halves.length === 2 ? n > 7 : n !== 8) bad();
  const g = [...head, ...new Array<number>(8 - n).fill(0), ...tail];
  for (let i = 0; i < 4; i++) out[o + i] = (g[2 * i] << 16) | g[2 * i + 1];
  return out;
}

/** RFC 5952 text (lower case, the longest run of two or more zero groups as ::). Not for the data plane. */
export function formatIPv6(words: ArrayLike<number>, o = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 4; i++) g.push((words[o + i] >>> 16) & 0xffff, words[o + i] & 0xffff);
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hexs = g.map((x) => x.toString(16));
  if (best < 0) return hexs.join(':');
  return `${hexs.slice(0, best).join(':')}::${hexs.slice(best + bestLen).join(':')}`;
}
