// Golden bytes for VRRP v2 and v3 advertisements and their IPv4 packet, written
// by hand from the RFC layouts (RFC 3768 5.1, RFC 5798 5.1), with the checksums
// worked out in the comments and checked again by a plain one's-complement sum.
import { describe, expect, it } from 'vitest';
import { type Advert, type AdvertContext, authPassBytes, decodeAdvert, decodeIpPacket, encodeAdvert, encodeIpPacket, VRRP_GROUP } from '../../src/ha/vrrp-wire.js';
import { parseIPv4 } from '../../src/model/index.js';

const ip = (t: string) => parseIPv4(t)!;
const SRC = ip('198.18.0.2');
const VIP1 = ip('198.18.0.100');
const VIP2 = ip('198.18.0.101');

/** RFC 1071 written out plainly: 16-bit big-endian words, carries folded back in. */
function onesSum(bytes: number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) + (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** Writes the checksum field at `at` so that the words (with `prefix`, e.g. a pseudo-header) sum to 0xffff. */
function resum(bytes: number[], at: number, prefix: number[] = []): number[] {
  const out = [...bytes];
  out[at] = out[at + 1] = 0;
  const c = ~onesSum([...prefix, ...out]) & 0xffff;
  out[at] = c >> 8;
  out[at + 1] = c & 0xff;
  return out;
}
const PSEUDO_GROUP = [0xc6, 0x12, 0x00, 0x02, 0xe0, 0x00, 0x00, 0x12, 0x00, 0x70, 0x00, 0x0c];

const v2 = (o: Partial<Advert> = {}): Advert => ({ version: 2, vrid: 51, priority: 100, interval: 1, addresses: [VIP1], authType: 0, authData: new Uint8Array(8), ...o });
const v3 = (o: Partial<Advert> = {}): Advert => ({ version: 3, vrid: 51, priority: 150, interval: 100, addresses: [VIP1], authType: 0, authData: new Uint8Array(0), ...o });
const ctx: AdvertContext = { src: SRC, dst: VRRP_GROUP, ttl: 255 };

// v2, VRID 51, priority 100, one address, no auth, 1 s:
//   0x2133 + 0x6401 + 0x0001 + 0xc612 + 0x0064 = 0x14bab -> 0x4bac; ~ = 0xb453
const V2_NONE = [
  0x21, 0x33, 0x64, 0x01, // version 2, type 1 | VRID 51 | priority 100 | 1 address
  0x00, 0x01, 0xb4, 0x53, // auth type 0 | advert int 1 s | checksum
  0xc6, 0x12, 0x00, 0x64, // 198.18.0.100
  0, 0, 0, 0, 0, 0, 0, 0, // authentication data
];

// v2, VRID 51, priority 150, two addresses, auth PASS "secret", 1 s:
//   0x2133 + 0x9602 + 0x0101 + 0xc612 + 0x0064 + 0xc612 + 0x0065 + 0x7365 + 0x6372 + 0x6574
//   = 0x3816e -> 0x8171; ~ = 0x7e8e
const V2_PASS = [
  0x21, 0x33, 0x96, 0x02,
  0x01, 0x01, 0x7e, 0x8e, // auth type 1 (simple password) | 1 s | checksum
  0xc6, 0x12, 0x00, 0x64,
  0xc6, 0x12, 0x00, 0x65,
  0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0x00, 0x00, // "secret", zero-padded to 8
];

// v3, VRID 51, priority 150, one address, 100 cs, from 198.18.0.2 to 224.0.0.18:
//   message 0x3133 + 0x9601 + 0x0064 + 0xc612 + 0x0064 = 0x18e0e
//   pseudo-header 0xc612 + 0x0002 + 0xe000 + 0x0012 + 0x0070 (0, proto 112) + 0x000c (length 12)
//   total 0x334b0 -> 0x34b3; ~ = 0xcb4c
const V3 = [
  0x31, 0x33, 0x96, 0x01, // version 3, type 1 | VRID 51 | priority 150 | 1 address
  0x00, 0x64, 0xcb, 0x4c, // rsvd 0, max advert int 100 cs | checksum
  0xc6, 0x12, 0x00, 0x64,
];

describe('VRRP advertisement, golden bytes', () => {
  it('v2 without authentication (RFC 3768 5.1)', () => {
    expect([...encodeAdvert(v2())]).toEqual(V2_NONE);
    expect(onesSum(V2_NONE)).toBe(0xffff);
  });

  it('v2 with a simple password, zero-padded to 8 bytes as keepalived copies it', () => {
    const bytes = encodeAdvert(v2({ priority: 150, addresses: [VIP1, VIP2], authType: 1, authData: authPassBytes('secret') }));
    expect([...bytes]).toEqual(V2_PASS);
    expect(onesSum(V2_PASS)).toBe(0xffff);
    expect([...authPassBytes('longerthan8')]).toEqual([...new TextEncoder().encode('longerth')]);
  });

  it('v3: 12-bit centiseconds, the checksum over the IPv4 pseudo-header (RFC 5798 5.2.8)', () => {
    expect([...encodeAdvert(v3(), SRC, VRRP_GROUP)]).toEqual(V3);
    expect(onesSum([...PSEUDO_GROUP, ...V3])).toBe(0xffff);
    // Without the pseudo-header the same bytes do not sum to 0xffff: the header is in.
    expect(onesSum(V3)).not.toBe(0xffff);
  });

  it('v3 to a unicast peer is summed with that destination', () => {
    const peer = ip('198.18.0.3');
    const b = encodeAdvert(v3(), SRC, peer);
    expect([...b.subarray(0, 6)]).toEqual(V3.slice(0, 6));
    const pseudo = [0xc6, 0x12, 0x00, 0x02, 0xc6, 0x12, 0x00, 0x03, 0x00, 0x70, 0x00, 0x0c];
    expect(onesSum([...pseudo, ...b])).toBe(0xffff);
    expect(decodeAdvert(b, { src: SRC, dst: peer, ttl: null }).ok).toBe(true);
    expect(decodeAdvert(b, ctx)).toMatchObject({ ok: false, code: 'chk_err' });
  });

  it('v3 sets the reserved bits to zero and ignores them on reception', () => {
    const b = encodeAdvert(v3({ interval: 0xfff }), SRC);
    expect([b[4], b[5]]).toEqual([0x0f, 0xff]);
    const odd = [...V3];
    odd[4] |= 0xf0;
    expect(decodeAdvert(Uint8Array.from(resum(odd, 6, PSEUDO_GROUP)), ctx)).toMatchObject({ ok: true, advert: { interval: 100 } });
  });

  it('decodes what it encodes (round trips)', () => {
    for (const a of [v2(), v2({ priority: 0, addresses: [] }), v2({ authType: 1, authData: authPassBytes('pw') }), v3(), v3({ priority: 255, interval: 5, addresses: [VIP1, VIP2] })]) {
      const d = decodeAdvert(encodeAdvert(a, SRC), ctx);
      expect(d).toEqual({ ok: true, advert: { ...a, authData: a.version === 2 ? a.authData : new Uint8Array(0) } });
    }
  });
});

describe('VRRP advertisement, rejections with keepalived wording', () => {
  const bad = (bytes: number[] | Uint8Array, c = ctx) => decodeAdvert(Uint8Array.from(bytes), c);

  it('length: shorter than the header, or not what the count says', () => {
    expect(bad([0x21, 0x33, 0x64])).toEqual({ ok: false, code: 'packet_len_err', reason: 'vrrp packet from 198.18.0.2 too short, length 3 and expect 8' });
    expect(bad(V2_NONE.slice(0, 19))).toMatchObject({ code: 'packet_len_err', reason: 'vrrp packet from 198.18.0.2 too short, length 19 and expect 20' });
    expect(bad([...V3, 0, 0, 0, 0])).toMatchObject({ code: 'packet_len_err', reason: 'vrrp packet from 198.18.0.2 too long, length 16 and expect 12' });
  });

  it('TTL must be 255 unless the caller says not to check (unicast)', () => {
    expect(bad(V2_NONE, { ...ctx, ttl: 254 })).toEqual({ ok: false, code: 'ip_ttl_err', reason: 'invalid TTL/HL from 198.18.0.2. Received 254 and expect 255' });
    expect(bad(V2_NONE, { ...ctx, ttl: null }).ok).toBe(true);
  });

  it('version 2 or 3, type 1, auth type 0-2', () => {
    const v4 = [...V3];
    v4[0] = 0x41;
    expect(bad(v4)).toMatchObject({ code: 'vers_err', reason: 'wrong VRRP version from 198.18.0.2. Received 4 and expect 2 or 3' });
    const t2 = [...V2_NONE];
    t2[0] = 0x22;
    expect(bad(t2)).toMatchObject({ code: 'invalid_type_rcvd', reason: 'Invalid packet type from 198.18.0.2. 2 and expect 1' });
    const a3 = [...V2_NONE];
    a3[4] = 3;
    expect(bad(a3)).toMatchObject({ code: 'invalid_authtype', reason: 'Invalid auth type from 198.18.0.2: 3' });
  });

  it('checksum: one flipped bit anywhere is caught; v3 also over the addresses of the pseudo-header', () => {
    const flipped = [...V2_NONE];
    flipped[11] ^= 1;
    expect(bad(flipped)).toEqual({ ok: false, code: 'chk_err', reason: 'Invalid VRRPv2 checksum from 198.18.0.2' });
    expect(bad(V3, { ...ctx, src: ip('198.18.0.9') })).toMatchObject({ code: 'chk_err', reason: 'Invalid VRRPv3 checksum from 198.18.0.9' });
  });
});

describe('IPv4 packet for the raw socket', () => {
  // 20 + 20 bytes, TOS 0xc0, id 0, no flags, TTL 255, protocol 112, 198.18.0.2 -> 224.0.0.18:
  //   0x45c0 + 0x0028 + 0xff70 + 0xc612 + 0x0002 + 0xe000 + 0x0012 = 0x2eb7e -> 0xeb80; ~ = 0x147f
  const HEADER = [
    0x45, 0xc0, 0x00, 0x28, // version 4, IHL 5 | TOS network control | total length 40
    0x00, 0x00, 0x00, 0x00, // id 0 | no flags, offset 0
    0xff, 0x70, 0x14, 0x7f, // TTL 255 | protocol 112 | header checksum
    0xc6, 0x12, 0x00, 0x02,
    0xe0, 0x00, 0x00, 0x12,
  ];

  it('golden header (RFC 791 3.1) and the payload after it', () => {
    const p = encodeIpPacket(SRC, VRRP_GROUP, Uint8Array.from(V2_NONE));
    expect([...p]).toEqual([...HEADER, ...V2_NONE]);
    expect(onesSum(HEADER)).toBe(0xffff);
  });

  it('decodes source, destination, TTL and the payload; Ethernet padding past the total length is dropped', () => {
    const p = [...HEADER, ...V2_NONE, 0, 0, 0, 0, 0, 0];
    const d = decodeIpPacket(Uint8Array.from(p));
    expect(d).toMatchObject({ ok: true, src: SRC, dst: VRRP_GROUP, ttl: 255 });
    expect(d.ok && [...d.payload]).toEqual(V2_NONE);
  });

  it('rejects a short packet, a bad header checksum, another protocol, a fragment, a total length past the end', () => {
    const dec = (b: number[]) => decodeIpPacket(Uint8Array.from(b));
    expect(dec(HEADER.slice(0, 19))).toMatchObject({ code: 'packet_len_err', reason: 'IPv4 VRRP packet too short - 19 bytes' });
    const sum = [...HEADER, ...V2_NONE];
    sum[11] ^= 1;
    expect(dec(sum)).toMatchObject({ code: 'ip_hdr_err', reason: 'bad IPv4 header checksum' });
    const ah = [...HEADER];
    ah[9] = 51;
    expect(dec([...resum(ah, 10), ...V2_NONE])).toMatchObject({ code: 'ip_hdr_err', reason: 'IP protocol 51 is not VRRP (112)' });
    const frag = [...HEADER];
    frag[6] = 0x20; // more fragments
    expect(dec([...resum(frag, 10), ...V2_NONE])).toMatchObject({ code: 'ip_hdr_err', reason: 'fragmented VRRP packet' });
    expect(dec([...HEADER, ...V2_NONE.slice(0, 10)])).toMatchObject({ code: 'packet_len_err', reason: 'ip_tot_len mismatch against received length. 40 and received 30' });
  });
});
