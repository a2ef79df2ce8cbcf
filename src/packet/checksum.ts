// The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//
// Sums are kept as plain numbers. A "sum" here is the ones'-complement sum folded
// to 16 bits and NOT complemented; a "checksum" is the complemented value that
// travels in a header field.

/**
 * Folds carries back into the low 16 bits (RFC 1071 section 2(C): "the sum ...
 * is accumulated ... and the carries are added back in"). Accepts any
 * non-negative safe integer; returns 0..0xffff, and 0 only for a zero input.
 */
export function fold(sum: number): number {
  // Beyond 32 bits the bitwise operators would truncate; rare (large initial sums).
  while (sum > 0xffffffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/**
 * Ones'-complement sum of the 16-bit big-endian words of buf[off, off+len),
 * plus `initial`, folded to 16 bits, not complemented.
 * RFC 1071 section 4.1: "if( count > 0 ) sum += * (unsigned char *) addr;" on a
 * big-endian machine: an odd last byte is the high byte of a zero-padded word.
 */
export function sum16(buf: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = fold(initial);
  const even = off + (len & ~1);
  let i = off;
  while (i < even) {
    // 16384 words of at most 0xffff stay below 2^30: a small integer for V8, and
    // the 32-bit fold below stays exact. Frames never reach one chunk in practice.
    const stop = even - i > 32768 ? i + 32768 : even;
    for (; i < stop; i += 2) sum += (buf[i] << 8) | buf[i + 1];
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (len & 1) sum += buf[even] << 8;
  return fold(sum);
}

/**
 * sum16 of an IPv4 header (whole 32-bit words, at most 60 bytes) read through a
 * DataView over the frame: a quarter of the loads, for parse's check of every frame.
 * Folded, not complemented; 15 words split in halves stay far below 2^31.
 */
export function ipv4HeaderSum(v: DataView, l3: number, ihl: number): number {
  let sum = 0;
  for (let i = l3, e = l3 + ihl; i < e; i += 4) {
    const w = v.getUint32(i);
    sum += (w >>> 16) + (w & 0xffff);
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum & 0xffff) + (sum >>> 16);
}

/** The checksum field value: RFC 1071 "the 1's complement of the 1's complement sum". */
export function checksum(buf: Uint8Array, off: number, len: number, initial = 0): number {
  return ~sum16(buf, off, len, initial) & 0xffff;
}

/**
 * Sum of the IPv4 pseudo-header (RFC 793 section 3.1, RFC 768): source address,
 * destination address, zero, protocol, TCP/UDP length. Folded, not complemented.
 */
export function pseudoSum(src: number, dst: number, proto: number, l4len: number): number {
  return fold((src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + l4len);
}

// Incremental updates (RFC 1624 section 3, eqn. 3: "HC' = ~(~HC + ~m + m')"; eqn. 2,
// the older RFC 1141 form, can yield 0xFFFF where a full recomputation yields 0x0000).
// A change is summed as ~m + m' per 16-bit word (diff16, diff32), and any number of
// such sums is applied at once (applyDiff): the NAT rewrite adds an address and a
// port difference, the ICMP quote translation a dozen words.

/** ~m + m' for a 16-bit word changing from old16 to new16. */
export function diff16(old16: number, new16: number): number {
  return (~old16 & 0xffff) + (new16 & 0xffff);
}

/** ~m + m' over the two 16-bit words of a 32-bit field (an IPv4 address). */
export function diff32(old32: number, new32: number): number {
  return ((~old32 >>> 16) & 0xffff) + (~old32 & 0xffff) + (new32 >>> 16) + (new32 & 0xffff);
}

/** Folds a sum below 2^20 to 16 bits: two rounds always suffice (RFC 1071 2(C)). */
export function foldSmall(sum: number): number {
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum & 0xffff) + (sum >>> 16);
}

/** HC' = ~(~HC + diff), for a diff of up to a few dozen diff16/diff32 words. */
export function applyDiff(check: number, diff: number): number {
  return ~foldSmall((~check & 0xffff) + diff) & 0xffff;
}

/** A checksum field after one 16-bit word of the data changed. */
export function csumReplace16(check: number, old16: number, new16: number): number {
  return applyDiff(check, diff16(old16, new16));
}

/** A checksum field after a 32-bit field (an IPv4 address) changed. */
export function csumReplace32(check: number, old32: number, new32: number): number {
  return applyDiff(check, diff32(old32, new32));
}

/** An address and a port at once, as NAT changes both in a TCP/UDP checksum (the address through the pseudo-header). */
export function csumReplaceAddrPort(
  check: number, oldAddr: number, newAddr: number, oldPort: number, newPort: number,
): number {
  return applyDiff(check, diff32(oldAddr, newAddr) + diff16(oldPort, newPort));
}

/**
 * For a field holding a partial, uncomplemented pseudo-header sum (Linux
 * CHECKSUM_PARTIAL: the device adds the header and payload and complements later).
 * Subtracting in ones' complement is adding the complement; no final complement.
 * Mirrors the kernel's inet_proto_csum_replace4():
 * `*sum = ~csum_fold(csum_add(csum_sub(csum_unfold(*sum), from), to))`.
 */
export function partialReplace16(sum: number, old16: number, new16: number): number {
  return foldSmall((sum & 0xffff) + diff16(old16, new16));
}

export function partialReplace32(sum: number, old32: number, new32: number): number {
  return foldSmall((sum & 0xffff) + diff32(old32, new32));
}

/**
 * Full TCP/UDP checksum over buf[l4, l4+l4len) with the pseudo-header; the
 * checksum field inside must be zero (or be accounted for by the caller).
 */
export function l4Checksum(
  buf: Uint8Array, l4: number, l4len: number, src: number, dst: number, proto: number,
): number {
  return checksum(buf, l4, l4len, pseudoSum(src, dst, proto, l4len));
}

// IPv6 (RFC 8200 section 8.1): TCP, UDP and ICMPv6 (RFC 4443 section 2.3, unlike
// ICMPv4) sum a pseudo-header of source address, destination address, 32-bit
// upper-layer packet length, three zero bytes and the Next Header value. The
// addresses are read from the IPv6 header at l3 (bytes 8..39).

/**
 * Sum of the IPv6 pseudo-header for the datagram whose IPv6 header is at l3:
 * folded to 16 bits, not complemented (like pseudoSum). `proto` is the
 * upper-layer protocol (not the first Next Header when extension headers come
 * between), `l4len` the upper-layer length (payload length less the extension
 * headers). 16 words of at most 0xffff plus the rest stay below 2^21.
 */
export function pseudoSum6(buf: Uint8Array, l3: number, proto: number, l4len: number): number {
  let sum = proto + (l4len >>> 16) + (l4len & 0xffff);
  for (let i = l3 + 8, e = l3 + 40; i < e; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  return foldSmall(sum);
}

/** Offset of the checksum field in a TCP (16), UDP (6) or ICMPv6 (2) header; -1 for other protocols. */
export function l4CsumField6(proto: number): number {
  return proto === 6 ? 16 : proto === 17 ? 6 : proto === 58 ? 2 : -1;
}

/**
 * Full checksum of the upper-layer message buf[l4, l4+l4len) of the IPv6 datagram
 * at l3, with the pseudo-header; the checksum field inside must be zero. Not
 * mapped for UDP: setL4Checksum6 writes 0xffff for a result of 0.
 */
export function l4Checksum6(buf: Uint8Array, l3: number, l4: number, l4len: number, proto: number): number {
  return checksum(buf, l4, l4len, pseudoSum6(buf, l3, proto, l4len));
}

/**
 * Computes and stores the TCP, UDP or ICMPv6 checksum (any other proto: nothing,
 * returns -1). UDP: RFC 8200 section 8.1, "unlike IPv4, the default behavior when
 * UDP packets are originated by an IPv6 node is that the UDP checksum is not
 * optional"; a computed 0 is sent as 0xffff (RFC 768). Returns the stored value.
 */
export function setL4Checksum6(buf: Uint8Array, l3: number, l4: number, l4len: number, proto: number): number {
  const f = l4CsumField6(proto);
  if (f < 0) return -1;
  buf[l4 + f] = 0;
  buf[l4 + f + 1] = 0;
  let c = l4Checksum6(buf, l3, l4, l4len, proto);
  if (proto === 17 && c === 0) c = 0xffff;
  buf[l4 + f] = c >>> 8;
  buf[l4 + f + 1] = c & 0xff;
  return c;
}

/**
 * Whether the TCP, UDP or ICMPv6 checksum of the message is right: the sum of the
 * message, field included, and the pseudo-header is 0xffff. A zero UDP checksum is
 * wrong in IPv6: "IPv6 receivers must discard UDP packets containing a zero
 * checksum" (RFC 8200 section 8.1). Any other proto: false.
 */
export function l4ChecksumOk6(buf: Uint8Array, l3: number, l4: number, l4len: number, proto: number): boolean {
  const f = l4CsumField6(proto);
  if (f < 0 || l4len < f + 2) return false;
  if (proto === 17 && buf[l4 + 6] === 0 && buf[l4 + 7] === 0) return false;
  return sum16(buf, l4, l4len, pseudoSum6(buf, l3, proto, l4len)) === 0xffff;
}
