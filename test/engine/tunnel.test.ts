// LVS-TUN: golden frames of the IPIP packet the router sends (outer header
// written out by hand from RFC 791/2003, its checksum included), the inner
// datagram untouched, and the kernel's DF/MTU handling ("fragmentation needed"
// back to the client, rate-limited).
import { describe, expect, it } from 'vitest';
import { Batch, VERDICT_DROP, VERDICT_TX } from '../../src/frames/batch.js';
import { buildIcmpError, buildTcp, ipv4Datagram } from '../../src/packet/build.js';
import { pseudoSum, sum16 } from '../../src/packet/checksum.js';
import { ipv4SetChecksum } from '../../src/packet/ipv4.js';
import * as C from '../../src/engine/counters.js';
import { ICMP_BURST } from '../../src/engine/icmp-send.js';
import { Engine } from '../../src/engine/engine.js';
import { ownAddresses } from '../../src/router/daemon.js';
import { CLIENT, CLIENT_MAC, ETH0_MAC, ETH1_MAC, engine, hex, ip, rsMac, run, runAll, service, table, VIP } from './helpers.js';

const SYN = 0x02, ACK = 0x10;
const RS = ip('198.19.0.21');

/** One tunnel server on eth1's network (where the router owns 198.19.0.1), resolved. */
function tun(addr = RS) {
  const t = table([service([{ addr: `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}` }], { forward: 'tunnel' })]);
  const e = engine(t, { neighbours: false });
  e.neigh.setStatic(addr, rsMac(addr), 0, addr === RS ? 1 : 0);
  return e;
}

const tcp = (o: { df?: boolean; tos?: number; flags?: number; payload?: number; sport?: number } = {}) =>
  buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: o.sport ?? 5555, dport: 80, flags: o.flags ?? SYN, seq: 7,
    df: o.df, tos: o.tos, payload: o.payload ? new Uint8Array(o.payload).fill(0x61) : undefined });

describe('LVS-TUN encapsulation', () => {
  it('puts the datagram, untouched, behind an outer header: protocol 4, DF, TTL and TOS copied, ID 0 with DF', () => {
    const e = tun();
    const syn = tcp({ df: true });
    const out = run(e, syn, 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.ifOut).toBe(1);
    // ver/ihl 45, tos 00, length 60, id 0, DF, ttl 64, proto 4, checksum ae81, 198.19.0.1 -> 198.19.0.21
    const outer = '4500003c000040004004ae81c6130001c6130015';
    expect(hex(out.frame)).toBe(hex(rsMac(RS)) + hex(ETH1_MAC) + '0800' + outer + hex(ipv4Datagram(syn)));
    expect(sum16(out.frame, 14, 20)).toBe(0xffff);
    expect(e.counters.n[C.N_TUNNELED]).toBe(1);
  });

  it('without DF: no DF outside either, the TOS copied, an ID from the router counter', () => {
    const e = tun();
    const syn = tcp({ tos: 0x10 });
    const out = run(e, syn, 0);
    expect(hex(out.frame.subarray(14, 34))).toBe('4510003c000100004004ee70c6130001c6130015');
    expect(hex(out.frame.subarray(34))).toBe(hex(ipv4Datagram(syn)));
  });

  it('the outer source is the VIP when the router owns no address on the real server network', () => {
    const rs = ip('198.17.5.5');
    const e = tun(rs);
    const out = run(e, tcp(), 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(hex(out.frame.subarray(14 + 12, 14 + 20))).toBe(hex(Uint8Array.of(198, 18, 0, 10, 198, 17, 5, 5)));
  });

  it("the outer source is the router's own address on the egress device when the daemon knows it", () => {
    const t = table([service([{ addr: '198.19.0.21' }], { forward: 'tunnel' })]);
    const e = new Engine({ interfaces: [{ name: 'eth0', mac: ETH0_MAC }, { name: 'eth1', mac: ETH1_MAC, source: ip('198.19.0.2') }], table: t });
    e.neigh.setStatic(RS, rsMac(RS), 0, 1);
    const out = run(e, tcp(), 0);
    expect(hex(out.frame.subarray(14 + 12, 14 + 20))).toBe(hex(Uint8Array.of(198, 19, 0, 2, 198, 19, 0, 21)));
  });

  it('ownAddresses: each device gets the first address the kernel holds on it, 0 when none', () => {
    const kernel = new Map([[ip('198.18.0.2'), 'eth0'], [ip('198.19.0.2'), 'eth1'], [ip('198.19.0.3'), 'eth1']]);
    expect(ownAddresses(['eth1', 'eth0', 'eth2'], kernel)).toEqual([ip('198.19.0.2'), ip('198.18.0.2'), 0]);
  });

  it('keeps the Ethernet padding out: the outer length counts the datagram only', () => {
    const e = tun();
    const syn = tcp();
    const padded = new Uint8Array(syn.length + 6);
    padded.set(syn);
    const out = run(e, padded, 0);
    expect(out.frame.length).toBe(syn.length + 20);
    expect(hex(out.frame.subarray(34))).toBe(hex(ipv4Datagram(syn)));
  });

  it('tunnels every frame of a batch, each from its own bytes (frames after it untouched until their turn)', () => {
    const e = tun();
    const b = new Batch(4, 1 << 16);
    const frames = [tcp({ sport: 1 }), tcp({ sport: 2, payload: 100 }), tcp({ sport: 3 })];
    frames.forEach((f) => b.push(f, 0));
    e.process(b, 1000);
    frames.forEach((f, k) => {
      expect(b.verdict[k]).toBe(VERDICT_TX);
      expect(hex(b.frame(k).subarray(34))).toBe(hex(ipv4Datagram(f)));
    });
  });

  it('drops a frame as no_room_to_grow when the batch buffer has no room past its frames', () => {
    const e = tun();
    const syn = tcp();
    const b = new Batch(1, syn.length + 10);
    b.push(syn, 0);
    e.process(b, 1000);
    expect(b.verdict[0]).toBe(VERDICT_DROP);
    expect(C.dropName(b.reason[0])).toBe('no_room_to_grow');
  });

  it('moves a pending checksum offset (CHECKSUM_PARTIAL) with the inner datagram', () => {
    const e = tun();
    const b = new Batch(1, 1 << 16);
    b.push(tcp(), 0);
    b.csumPartial[0] = 1;
    b.csumStart[0] = 34;
    b.csumOffset[0] = 16;
    e.process(b, 1000);
    expect(b.csumStart[0]).toBe(54);
    expect(b.csumOffset[0]).toBe(16);
  });

  it('tunnels an ICMP error from the client about a tunnelled flow on to the real server', () => {
    const e = tun();
    run(e, tcp(), 0);
    // The client says the router's (the VIP's) segment could not be delivered: inner VIP:80 -> CLIENT:5555.
    const quoted = ipv4Datagram(buildTcp({ src: VIP, dst: CLIENT, sport: 80, dport: 5555, flags: ACK }));
    const err = buildIcmpError({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, type: 3, code: 3, original: quoted });
    const out = run(e, err, 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.frame[14 + 9]).toBe(4);
    expect(hex(out.frame.subarray(34))).toBe(hex(ipv4Datagram(err)));
  });
});

describe('LVS-TUN DF and MTU', () => {
  // Inner 1481 bytes: one more than 1500 - 20 fits.
  const big = (df: boolean) => tcp({ df, flags: ACK, payload: 1481 - 40 });

  it('answers a DF packet that would not fit with "fragmentation needed", MTU = egress MTU - 20 (golden frame)', () => {
    const e = tun();
    run(e, tcp({ df: true }), 0);
    const pkt = big(true);
    const out = run(e, pkt, 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.ifOut).toBe(0);
    const quote = ipv4Datagram(pkt).subarray(0, 548);
    // IP: tos c0 (Internet control), length 576, id 1, no DF, ttl 64, ICMP, VIP -> client.
    // ICMP: type 3 code 4, checksum, unused 0, next-hop MTU 1480 (05c8), then 548 bytes of the datagram.
    const ipHdr = '45c00240000100004001eb69c612000ac6120064';
    expect(hex(out.frame.subarray(0, 34))).toBe(hex(CLIENT_MAC) + hex(ETH0_MAC) + '0800' + ipHdr);
    expect(hex(out.frame.subarray(34, 36))).toBe('0304');
    expect(hex(out.frame.subarray(38, 42))).toBe('000005c8');
    expect(hex(out.frame.subarray(42))).toBe(hex(quote));
    expect(sum16(out.frame, 34, 8 + 548)).toBe(0xffff);
    expect(e.counters.n[C.N_ICMP_FRAG_NEEDED]).toBe(1);
    expect(e.counters.drops[C.DROP_TUNNEL_TOO_BIG]).toBe(0);
  });

  it('fragments the outer packet of a datagram without DF that would not fit (ip_fragment after ip_vs_tunnel_xmit)', () => {
    const e = tun();
    run(e, tcp(), 0);
    const pkt = big(false);
    const out = runAll(e, pkt, 0);
    // Outer 1501 bytes for a 1500 MTU: 1480 bytes of the outer payload, then the last 1 byte.
    expect(out.map((o) => [o.verdict, o.ifOut, o.frame.length])).toEqual([[VERDICT_TX, 1, 14 + 1500], [VERDICT_TX, 1, 14 + 20 + 1]]);
    const [a, b] = out.map((o) => o.frame);
    expect([a[14 + 9], b[14 + 9]]).toEqual([4, 4]);
    // Flags and offset: MF, 0; then offset 185 (1480 / 8), no MF. The same ID in both.
    expect(hex(a.subarray(14 + 6, 14 + 8))).toBe('2000');
    expect(hex(b.subarray(14 + 6, 14 + 8))).toBe('00b9');
    expect(hex(a.subarray(14 + 4, 14 + 6))).toBe(hex(b.subarray(14 + 4, 14 + 6)));
    expect([sum16(a, 14, 20), sum16(b, 14, 20)]).toEqual([0xffff, 0xffff]);
    expect(hex(Uint8Array.from([...a.subarray(34), ...b.subarray(34)]))).toBe(hex(ipv4Datagram(pkt)));
    expect(e.counters.n[C.N_FRAGMENTED]).toBe(1);
  });

  it('takes the device MTU the backend reports', () => {
    const e = tun();
    e.l2.setMtu(1, 9000);
    run(e, tcp({ df: true }), 0);
    const out = run(e, big(true), 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.frame.length).toBe(14 + 20 + 1481);
  });

  it('rate-limits the errors like icmp_global_allow: a burst of 50, then 1 per ms', () => {
    const e = tun();
    run(e, tcp({ df: true }), 0);
    const verdicts = Array.from({ length: ICMP_BURST + 2 }, () => run(e, big(true), 0, 5000).verdict);
    expect(verdicts.filter((v) => v === VERDICT_TX).length).toBe(ICMP_BURST);
    expect(e.counters.n[C.N_ICMP_RATE_LIMITED]).toBe(2);
    expect(e.counters.drops[C.DROP_TUNNEL_TOO_BIG]).toBe(2);
    expect(run(e, big(true), 0, 5001).verdict).toBe(VERDICT_TX);
  });
});

describe('LVS-TUN of GSO super-frames (cut as tcp_gso_segment cuts them)', () => {
  const FIN = 0x01, PSH = 0x08, CWR = 0x80;
  const u16 = (f: Uint8Array, at: number) => (f[at] << 8) | f[at + 1];
  const u32 = (f: Uint8Array, at: number) => ((f[at] << 24) | (f[at + 1] << 16) | (f[at + 2] << 8) | f[at + 3]) >>> 0;

  /** A resolved tunnel server with its connection made, and a batch holding one super-frame of `payload` bytes cut at `mss`. */
  function superFrame(payload: number, mss: number, o: { flags?: number; gsoType?: number; df?: boolean; spare?: number } = {}) {
    const e = tun();
    run(e, tcp({ df: true }), 0);
    const frame = tcp({ flags: o.flags ?? ACK | PSH, payload, df: o.df ?? true });
    // Bytes that tell the segments apart: 0, 1, 2, ... mod 251.
    for (let k = 0; k < payload; k++) frame[54 + k] = k % 251;
    frame[14 + 4] = 0x12; // IP ID 0x1234
    frame[14 + 5] = 0x34;
    ipv4SetChecksum(frame, 14, 20);
    const b = new Batch(1, 1 << 20, 1 << 19, o.spare ?? 64);
    b.push(frame, 0);
    b.gsoType[0] = o.gsoType ?? 1;
    b.gsoSize[0] = mss;
    b.csumPartial[0] = 1;
    b.csumStart[0] = 34;
    b.csumOffset[0] = 16;
    b.hdrLen[0] = 54;
    return { e, b, frame, sent: e.process(b, 1000) };
  }

  it('cuts a 3,000-byte super-frame at 1,000 bytes into three IPIP packets: payload in order, sequence and IP ID counting up', () => {
    const { e, b, frame, sent } = superFrame(3000, 1000);
    expect(sent).toBe(3);
    expect(b.count).toBe(3);
    const joined: number[] = [];
    for (let k = 0; k < 3; k++) {
      expect(b.verdict[k]).toBe(VERDICT_TX);
      expect(b.gsoType[k]).toBe(0);
      const f = b.frame(k);
      expect(f.length).toBe(14 + 20 + 20 + 20 + 1000);
      // Outer: protocol 4, DF copied, length of this segment; inner: its own length, ID 0x1234 + k, seq 7 + 1000 k.
      expect(f[14 + 9]).toBe(4);
      expect(u16(f, 14 + 2)).toBe(20 + 1040);
      expect(sum16(f, 14, 20)).toBe(0xffff);
      expect(u16(f, 34 + 2)).toBe(1040);
      expect(u16(f, 34 + 4)).toBe(0x1234 + k);
      expect(sum16(f, 34, 20)).toBe(0xffff);
      expect(u32(f, 54 + 4)).toBe(7 + 1000 * k);
      expect(hex(f.subarray(0, 6))).toBe(hex(rsMac(RS)));
      joined.push(...f.subarray(74));
    }
    expect(hex(Uint8Array.from(joined))).toBe(hex(frame.subarray(54)));
    expect(e.counters.n[C.N_TUNNEL_GSO_CUT]).toBe(1);
    expect(e.counters.n[C.N_TUNNELED]).toBe(4); // the SYN, then the three segments
  });

  it("leaves each segment's TCP checksum for the device, with the seed that completes to a valid checksum", () => {
    const { b } = superFrame(2500, 1000);
    for (let k = 0; k < 3; k++) {
      const f = Uint8Array.from(b.frame(k));
      expect(b.csumPartial[k]).toBe(1);
      expect(b.csumStart[k]).toBe(54); // the inner TCP header, past the outer IP header
      expect(b.csumOffset[k]).toBe(16);
      // What the device does with CHECKSUM_PARTIAL: the sum from csum_start, complemented, into the field.
      const tcpLen = f.length - 54;
      const c = ~sum16(f, 54, tcpLen) & 0xffff;
      f[54 + 16] = c >> 8;
      f[54 + 17] = c & 0xff;
      expect(sum16(f, 54, tcpLen, pseudoSum(CLIENT, VIP, 6, tcpLen))).toBe(0xffff);
    }
    expect(b.frame(2).length).toBe(74 + 500);
  });

  it('FIN and PSH go on the last segment only, CWR on the first only', () => {
    const { b } = superFrame(3000, 1000, { flags: ACK | PSH | FIN | CWR });
    expect([0, 1, 2].map((k) => b.frame(k)[54 + 13])).toEqual([ACK | CWR, ACK, ACK | PSH | FIN]);
  });

  it('answers "fragmentation needed" when a segment would not fit behind the outer header (MSS 1448 over IPIP: 1488 > 1480)', () => {
    const { e, b } = superFrame(2896, 1448);
    expect(b.count).toBe(1);
    expect(b.verdict[0]).toBe(VERDICT_TX);
    expect(b.ifOut[0]).toBe(0);
    expect(hex(b.frame(0).subarray(34, 36))).toBe('0304');
    expect(u16(b.frame(0), 34 + 6)).toBe(1480);
    expect(e.counters.n[C.N_ICMP_FRAG_NEEDED]).toBe(1);
  });

  it('drops the super-frame whole, as no_room_to_grow, when the batch has no place for its segments', () => {
    const { b } = superFrame(3000, 1000, { spare: 0 });
    expect(b.count).toBe(1);
    expect(b.verdict[0]).toBe(VERDICT_DROP);
    expect(C.dropName(b.reason[0])).toBe('no_room_to_grow');
  });

  it('drops a GSO frame that is not TCP/IPv4 GSO as tunnel_gso', () => {
    const { b } = superFrame(3000, 1000, { gsoType: 4 });
    expect(b.verdict[0]).toBe(VERDICT_DROP);
    expect(C.dropName(b.reason[0])).toBe('tunnel_gso');
  });
});
