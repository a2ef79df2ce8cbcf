// The IPv6 data path (engine/ipv6.ts): Neighbor Discovery for the router's
// addresses and its real servers, NAT and DR of TCP and UDP, echo, Packet Too
// Big and port unreachable, with frames built from the RFCs' layouts.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { DROP_FRAGMENT, DROP_NO_CONN, DROP_NO_NEIGH, N_NDP_ADVERTS } from '../../src/engine/counters.js';
import { Batch, VERDICT_DROP, VERDICT_PASS, VERDICT_TX } from '../../src/frames/batch.js';
import { DEFAULT_SWITCHES, type ForwardMethod, type RealServer, type ServiceTable, type VirtualService } from '../../src/model/index.js';
import { l4ChecksumOk6 } from '../../src/packet/checksum.js';
import { FrameInfo, parseFrame, PARSE_IPV6 } from '../../src/packet/parse.js';
import { formatIPv6 } from '../../src/packet/ipv6.js';
import { a6, fragExt, frame6, icmp6Msg, ndBody, tcpSeg, udpSeg } from '../packet/helpers6.js';
import { ETH0_MAC, ETH1_MAC, hex, run } from './helpers.js';

const VIP6 = '2001:2:0:1::10';
const NAT6 = '2001:2:0:2::1';
const CLIENT6 = '2001:2:0:1::100';
const RS1 = '2001:2:0:2::11';
const RS2 = '2001:2:0:2::12';
const CLIENT_MAC = [0x02, 0xc1, 0, 0, 0, 0x01];
const RS_MAC = (k: number): number[] => [0x02, 0x52, 0, 0, 0, k];
const SYN = 0x02, ACK = 0x10;

function table6(forward: ForwardMethod, o: Partial<VirtualService> = {}, servers = [RS1, RS2]): ServiceTable {
  const svc: VirtualService = {
    name: 'web6', protocol: 'tcp', address: 0, address6: VIP6, port: 80, fwmark: 0, scheduler: 'rr', schedFlags: [],
    persistence: 0, persistMask: 0xffffffff, onePacket: false, ...o,
    servers: servers.map((s, k) => ({
      name: `rs${k + 1}`, address: 0, address6: s, port: forward === 'nat' ? 8080 : 80, weight: 1, forward, upperThreshold: 0, lowerThreshold: 0,
    })),
  };
  return {
    version: 1, services: [svc], marks: [], switches: DEFAULT_SWITCHES, timeouts: { tcp: 0, tcpfin: 0, udp: 0 },
    addresses: [
      { address: 0, address6: VIP6, prefixLen: 64, device: 'eth0', role: 'vip' },
      { address: 0, address6: NAT6, prefixLen: 64, device: 'eth1', role: 'nat_router' },
    ],
  };
}

function engine6(t: ServiceTable, mtu1 = 0): Engine {
  return new Engine({ interfaces: [{ name: 'eth0', mac: ETH0_MAC }, { name: 'eth1', mac: ETH1_MAC, mtu: mtu1 || undefined }], table: t, connCapacity: 1024 });
}

/** A Neighbor Advertisement from a real server for its own address, with its MAC in the target option. */
function advert(addr: string, mac: number[]): Uint8Array {
  return frame6({ src: addr, dst: 'ff02::1', hop: 255, proto: 58, srcMac: mac, dstMac: [0x33, 0x33, 0, 0, 0, 1],
    l4: icmp6Msg(136, 0, ndBody(0x20, addr, [2, 1, ...mac])) });
}

function learnServers(e: Engine, itf: number, servers = [RS1, RS2]): void {
  servers.forEach((s, k) => expect(run(e, advert(s, RS_MAC(k + 1)), itf).verdict).toBe(VERDICT_PASS));
}

const info = new FrameInfo();
function parsed(f: Uint8Array): FrameInfo {
  expect(parseFrame(f, 0, f.length, info)).toBe(PARSE_IPV6);
  return info;
}
const srcOf = (f: Uint8Array): string => formatIPv6(Int32Array.from([0, 1, 2, 3], (k) => new DataView(f.buffer, f.byteOffset).getInt32(22 + 4 * k)));
const dstOf = (f: Uint8Array): string => formatIPv6(Int32Array.from([0, 1, 2, 3], (k) => new DataView(f.buffer, f.byteOffset).getInt32(38 + 4 * k)));

function clientTcp(flags: number, sport = 40000, payload: number[] = []): Uint8Array {
  return frame6({ src: CLIENT6, dst: VIP6, proto: 6, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC], l4: tcpSeg(sport, 80, flags, payload) });
}

describe('IPv6 neighbour discovery', () => {
  it('answers a solicitation for the VIP on its interface with our MAC (R, S, O set) and passes one that arrives elsewhere', () => {
    const e = engine6(table6('nat'));
    const ns = () => frame6({ src: CLIENT6, dst: 'ff02::1:ff00:10', hop: 255, proto: 58, srcMac: CLIENT_MAC, dstMac: [0x33, 0x33, 0xff, 0, 0, 0x10],
      l4: icmp6Msg(135, 0, ndBody(0, VIP6, [1, 1, ...CLIENT_MAC])) });
    const out = run(e, ns(), 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.ifOut).toBe(0);
    const i = parsed(out.frame);
    expect(i.icmpType).toBe(136);
    expect(hex(out.frame.subarray(0, 12))).toBe(hex(Uint8Array.from(CLIENT_MAC)) + hex(ETH0_MAC));
    expect(out.frame[i.l4 + 4]).toBe(0xe0);
    expect(hex(out.frame.subarray(i.ndLla, i.ndLla + 6))).toBe(hex(ETH0_MAC));
    expect(srcOf(out.frame)).toBe(VIP6);
    expect(dstOf(out.frame)).toBe(CLIENT6);
    expect(l4ChecksumOk6(out.frame, i.l3, i.l4, i.l4Len, 58)).toBe(true);
    expect(run(e, ns(), 1).verdict).toBe(VERDICT_PASS);
    expect(e.counters.n[N_NDP_ADVERTS]).toBe(1);
  });

  it('asks for its real servers by solicitation to their solicited-node group, from its link-local address', () => {
    const e = engine6(table6('nat'));
    const frames = e.v6.neigh.due(1000);
    expect(frames).toHaveLength(2);
    const f = frames.find((x) => hex(x.frame.subarray(0, 6)) === '3333ff000011')!;
    expect(f.itf).toBe(1);
    const i = parsed(f.frame);
    expect(i.icmpType).toBe(135);
    expect(formatIPv6(Int32Array.from([0, 1, 2, 3], (k) => new DataView(f.frame.buffer).getInt32(i.ndTarget + 4 * k)))).toBe(RS1);
    expect(dstOf(f.frame)).toBe('ff02::1:ff00:11');
    expect(srcOf(f.frame)).toBe('fe80::ff:fe00:2'); // EUI-64 of 02:00:00:00:00:02
    expect(e.v6.neigh.due(1500)).toHaveLength(0); // backing off
  });

  it('drops a client packet while its server is unresolved, and forwards once the server has advertised', () => {
    const e = engine6(table6('nat', {}, [RS1]));
    const out = run(e, clientTcp(SYN), 0);
    expect(out.verdict).toBe(VERDICT_DROP);
    expect(out.reason).toBe(DROP_NO_NEIGH);
    learnServers(e, 1, [RS1]);
    expect(run(e, clientTcp(SYN, 40001), 0).verdict).toBe(VERDICT_TX);
  });

  it('learns nothing from an advertisement for an address it does not want, nor one on the wrong interface', () => {
    const e = engine6(table6('nat', {}, [RS1]));
    run(e, advert('2001:2:0:2::99', RS_MAC(9)), 1);
    run(e, advert(RS1, RS_MAC(1)), 0);
    expect(run(e, clientTcp(SYN), 0).reason).toBe(DROP_NO_NEIGH);
  });
});

describe('IPv6 NAT', () => {
  it('rewrites the destination to the real server and the reply back to the VIP, checksums right', () => {
    const e = engine6(table6('nat'));
    learnServers(e, 1);
    const out = run(e, clientTcp(SYN), 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.ifOut).toBe(1);
    const i = parsed(out.frame);
    const server = dstOf(out.frame);
    expect([RS1, RS2]).toContain(server);
    const k = server === RS1 ? 1 : 2;
    expect(hex(out.frame.subarray(0, 12))).toBe(hex(Uint8Array.from(RS_MAC(k))) + hex(ETH1_MAC));
    expect(srcOf(out.frame)).toBe(CLIENT6);
    expect(i.dport).toBe(8080);
    expect(l4ChecksumOk6(out.frame, i.l3, i.l4, i.l4Len, 6)).toBe(true);

    const reply = frame6({ src: server, dst: CLIENT6, proto: 6, hop: 64, srcMac: RS_MAC(k), dstMac: [...ETH1_MAC], l4: tcpSeg(8080, 40000, SYN | ACK) });
    const back = run(e, reply, 1);
    expect(back.verdict).toBe(VERDICT_TX);
    expect(back.ifOut).toBe(0);
    const j = parsed(back.frame);
    expect(srcOf(back.frame)).toBe(VIP6);
    expect(j.sport).toBe(80);
    expect(j.ttl).toBe(63);
    expect(hex(back.frame.subarray(0, 12))).toBe(hex(Uint8Array.from(CLIENT_MAC)) + hex(ETH0_MAC));
    expect(l4ChecksumOk6(back.frame, j.l3, j.l4, j.l4Len, 6)).toBe(true);
  });

  it('spreads new connections over the servers (rr) and keeps each connection on its server', () => {
    const e = engine6(table6('nat'));
    learnServers(e, 1);
    const first = [40000, 40001, 40002, 40003].map((p) => dstOf(run(e, clientTcp(SYN, p), 0).frame));
    expect(first.filter((s) => s === RS1)).toHaveLength(2);
    expect(first.filter((s) => s === RS2)).toHaveLength(2);
    expect(dstOf(run(e, clientTcp(ACK, 40002, [1, 2, 3]), 0).frame)).toBe(first[2]);
  });

  it('keeps a persistent client on one server, and resets nothing for a segment of no connection', () => {
    const e = engine6(table6('nat', { persistence: 300 }));
    learnServers(e, 1);
    const servers = new Set([40000, 40001, 40002].map((p) => dstOf(run(e, clientTcp(SYN, p), 0).frame)));
    expect(servers.size).toBe(1);
    const stray = run(e, clientTcp(ACK, 45000), 0);
    expect(stray.verdict).toBe(VERDICT_DROP);
    expect(stray.reason).toBe(DROP_NO_CONN);
  });

  it('keeps a client network on one server with a persistence prefix (ipvsadm -M 64)', () => {
    const e = engine6(table6('nat', { persistence: 300, persistMask: 64 }));
    learnServers(e, 1);
    const from = (client: string, sport: number) => dstOf(run(e, frame6({ src: client, dst: VIP6, proto: 6, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC], l4: tcpSeg(sport, 80, SYN) }), 0).frame);
    const first = from('2001:2:0:1::100', 43000);
    expect(['2001:2:0:1::101', '2001:2:0:1:ffff::7', '2001:2:0:1::100'].map((c, k) => from(c, 43001 + k))).toEqual([first, first, first]);
    // Another /64: scheduled on its own (rr moves on to the other server).
    expect(from('2001:2:0:9::100', 43010)).not.toBe(first);
  });

  it('answers Packet Too Big with the server side MTU for a packet that would not fit', () => {
    const e = engine6(table6('nat'), 1280);
    learnServers(e, 1);
    run(e, clientTcp(SYN), 0);
    const big = run(e, clientTcp(ACK, 40000, new Array(1300).fill(7)), 0);
    expect(big.verdict).toBe(VERDICT_TX);
    expect(big.ifOut).toBe(0);
    const i = parsed(big.frame);
    expect(i.icmpType).toBe(2);
    expect(new DataView(big.frame.buffer).getUint32(i.l4 + 4)).toBe(1280);
    expect(srcOf(big.frame)).toBe(VIP6);
    expect(dstOf(big.frame)).toBe(CLIENT6);
    expect(big.frame.length).toBeLessThanOrEqual(14 + 1280);
    expect(l4ChecksumOk6(big.frame, i.l3, i.l4, i.l4Len, 58)).toBe(true);
  });

  it('answers a UDP datagram with port unreachable when no server is usable (ip_vs_leave)', () => {
    const t = table6('nat', { protocol: 'udp', port: 53 });
    const quiesced: ServiceTable = { ...t, services: [{ ...t.services[0], servers: t.services[0].servers.map((s) => ({ ...s, weight: 0 })) }] };
    const e = engine6(quiesced);
    const q = frame6({ src: CLIENT6, dst: VIP6, proto: 17, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC], l4: udpSeg(5353, 53, [1, 2, 3, 4]) });
    const out = run(e, q, 0);
    expect(out.verdict).toBe(VERDICT_TX);
    const i = parsed(out.frame);
    expect([i.icmpType, i.icmpCode]).toEqual([1, 4]);
    expect(srcOf(out.frame)).toBe(VIP6);
  });
});

describe('IPv6 ICMP errors about NAT flows', () => {
  it('a real server\'s Packet Too Big about a forwarded packet reaches the client from the VIP, its quote translated back', () => {
    const e = engine6(table6('nat', {}, [RS1]));
    learnServers(e, 1, [RS1]);
    const fwd = run(e, clientTcp(SYN), 0).frame;
    const quote = Array.from(fwd.subarray(14, 14 + 60));
    const ptb = frame6({ src: RS1, dst: CLIENT6, proto: 58, srcMac: RS_MAC(1), dstMac: [...ETH1_MAC], l4: icmp6Msg(2, 0, [0, 0, 0x05, 0x00, ...quote]) });
    const out = run(e, ptb, 1);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.ifOut).toBe(0);
    const i = parsed(out.frame);
    expect(srcOf(out.frame)).toBe(VIP6);
    expect(dstOf(out.frame)).toBe(CLIENT6);
    expect([i.icmpType, i.innerSport, i.innerDport]).toEqual([2, 40000, 80]);
    const dv = new DataView(out.frame.buffer);
    expect(formatIPv6(Int32Array.from([0, 1, 2, 3], (k) => dv.getInt32(i.inner + 24 + 4 * k)))).toBe(VIP6);
    expect(l4ChecksumOk6(out.frame, i.l3, i.l4, i.l4Len, 58)).toBe(true);
    expect(e.counters.icmpTranslated).toBe(1);
  });

  it('a client-side error about a reply goes on to the real server with the server\'s address quoted', () => {
    const e = engine6(table6('nat', {}, [RS1]));
    learnServers(e, 1, [RS1]);
    run(e, clientTcp(SYN), 0);
    const reply = run(e, frame6({ src: RS1, dst: CLIENT6, proto: 6, srcMac: RS_MAC(1), dstMac: [...ETH1_MAC], l4: tcpSeg(8080, 40000, SYN | ACK) }), 1).frame;
    const err = frame6({ src: '2001:2:0:1::1', dst: VIP6, proto: 58, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC], l4: icmp6Msg(1, 3, [0, 0, 0, 0, ...reply.subarray(14, 74)]) });
    const out = run(e, err, 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.ifOut).toBe(1);
    const i = parsed(out.frame);
    expect(dstOf(out.frame)).toBe(RS1);
    expect([i.innerSport, i.innerDport]).toEqual([8080, 40000]);
    expect(l4ChecksumOk6(out.frame, i.l3, i.l4, i.l4Len, 58)).toBe(true);
  });
});

describe('IPv6 scheduling', () => {
  it('sh hashes the XOR fold of the client address, as the kernel does for IPv6', () => {
    const e = engine6(table6('nat', { scheduler: 'sh' }, [RS1, RS2, '2001:2:0:2::13', '2001:2:0:2::14']));
    learnServers(e, 1, [RS1, RS2, '2001:2:0:2::13', '2001:2:0:2::14']);
    // Same fold (the last two words swap), different clients: the same server every time.
    const pick = (client: string, port: number): string =>
      dstOf(run(e, frame6({ src: client, dst: VIP6, proto: 6, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC], l4: tcpSeg(port, 80, SYN) }), 0).frame);
    for (const [x, y] of [['2001:2::5:0:7', '2001:2::7:0:5'], ['2001:2::1:0:0', '2001:2::1']]) expect(pick(x, 1000)).toBe(pick(y, 1001));
    const servers = new Set(Array.from({ length: 32 }, (_, k) => pick(`2001:2::${k + 1}`, 2000 + k)));
    expect(servers.size).toBeGreaterThan(1);
  });
});

describe('IPv6 LVS-TUN', () => {
  const TUN_RS = '2001:2:0:2::31';
  const tun = (o: Partial<RealServer> = {}): Engine => {
    const t = table6('tunnel', {}, [TUN_RS]);
    const e = engine6({ ...t, services: [{ ...t.services[0], servers: t.services[0].servers.map((s) => ({ ...s, port: 80, ...o })) }] });
    learnServers(e, 1, [TUN_RS]);
    return e;
  };
  const outer = (f: Uint8Array): { next: number; hop: number; payLen: number } => ({ next: f[20], hop: f[21], payLen: (f[18] << 8) | f[19] });

  it('puts the client\'s datagram inside IPv6 (next header 41) from the router\'s address on the server\'s network', () => {
    const e = tun();
    const syn = clientTcp(SYN);
    const out = run(e, syn, 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.ifOut).toBe(1);
    expect(hex(out.frame.subarray(0, 12))).toBe(hex(Uint8Array.from(RS_MAC(1))) + hex(ETH1_MAC));
    expect(outer(out.frame)).toEqual({ next: 41, hop: 64, payLen: syn.length - 14 });
    expect(srcOf(out.frame)).toBe(NAT6);
    expect(dstOf(out.frame)).toBe(TUN_RS);
    expect(hex(out.frame.subarray(54))).toBe(hex(syn.subarray(14)));
    expect(e.counters.snapshot().tunneled).toBe(1);
  });

  it('GRE carries protocol 0x86dd; GUE carries proto 41 with a UDP checksum that sums right', () => {
    const gre = run(tun({ tunnelType: 'gre' }), clientTcp(SYN), 0).frame;
    expect(outer(gre).next).toBe(47);
    expect(hex(gre.subarray(54, 58))).toBe('000086dd');
    const gue = run(tun({ tunnelType: 'gue', tunnelPort: 6080 }), clientTcp(SYN), 0).frame;
    expect(outer(gue).next).toBe(17);
    expect((gue[56] << 8) | gue[57]).toBe(6080);
    expect(gue[63]).toBe(41);
    expect(l4ChecksumOk6(gue, 14, 54, outer(gue).payLen, 17)).toBe(true);
  });

  it('answers Packet Too Big with the MTU left behind the outer header', () => {
    const e = tun();
    run(e, clientTcp(SYN), 0);
    const out = run(e, clientTcp(ACK, 40000, new Array(1420).fill(1)), 0);
    const i = parsed(out.frame);
    expect(i.icmpType).toBe(2);
    expect(new DataView(out.frame.buffer).getUint32(i.l4 + 4)).toBe(1460);
    expect(dstOf(out.frame)).toBe(CLIENT6);
  });

  it('cuts a TCP/IPv6 GSO super-frame into segments, each encapsulated, sequence numbers advancing', () => {
    const e = tun();
    run(e, clientTcp(SYN), 0);
    const big = clientTcp(ACK | 0x08, 40000, Array.from({ length: 3000 }, (_, k) => k & 255));
    const b = new Batch(1, 1 << 17, 1 << 16, 64);
    b.push(big, 0);
    b.gsoType[0] = 4;
    b.gsoSize[0] = 1400;
    b.csumPartial[0] = 1;
    b.csumStart[0] = 54;
    b.csumOffset[0] = 16;
    expect(e.process(b, 1000)).toBe(3);
    const segs = Array.from({ length: b.count }, (_, k) => b.frame(k).slice());
    expect(segs.map((f) => f.length - 54 - 60)).toEqual([1400, 1400, 200]);
    const dv = (f: Uint8Array) => new DataView(f.buffer);
    expect(segs.map((f) => dv(f).getUint32(54 + 40 + 4) - 1)).toEqual([0, 1400, 2800]);
    expect(segs.map((f) => f[54 + 40 + 13] & 0x08)).toEqual([0, 0, 8]);
    expect(segs.every((f) => f[20] === 41 && dstOf(f) === TUN_RS)).toBe(true);
    expect(e.counters.snapshot().tunnel_gso_cut).toBe(1);
  });
});

describe('IPv6 fragments', () => {
  /** A UDP datagram of `size` payload bytes from src to dst, cut into fragments of at most 1448 bytes of payload. */
  function fragments(src: string, dst: string, sport: number, dport: number, size: number, macs: [number[], number[]], id = 0x01020304): Uint8Array[] {
    const whole = frame6({ src, dst, proto: 17, srcMac: macs[0], dstMac: macs[1], l4: udpSeg(sport, dport, Array.from({ length: size }, (_, k) => k & 255)) });
    const l4 = whole.subarray(54);
    const out: Uint8Array[] = [];
    for (let off = 0; off < l4.length; off += 1448) {
      const piece = l4.subarray(off, Math.min(l4.length, off + 1448));
      out.push(frame6({ src, dst, proto: 17, srcMac: macs[0], dstMac: macs[1], exts: [fragExt(off, off + 1448 < l4.length, id)], l4: piece, csum: false }));
    }
    return out;
  }
  /** The UDP datagram the fragments carry, put back together, with its IPv6 header for the checksum. */
  function reassemble(frames: Uint8Array[]): { l3: Uint8Array; ok: boolean } {
    const parts = frames.map((f) => ({ off: ((f[56] << 8) | f[57]) & 0xfff8, bytes: f.subarray(62) })).sort((x, y) => x.off - y.off);
    const len = parts.reduce((n, q) => n + q.bytes.length, 0);
    const d = new Uint8Array(14 + 40 + len);
    d.set(frames[0].subarray(0, 54));
    d[20] = 17;
    d[18] = len >> 8; d[19] = len & 255;
    for (const q of parts) d.set(q.bytes, 54 + q.off);
    return { l3: d, ok: l4ChecksumOk6(d, 14, 54, len, 17) };
  }

  it('forwards a fragmented UDP datagram along its NAT flow, a fragment that comes before the first held and sent after it', () => {
    const e = engine6(table6('nat', { protocol: 'udp', port: 53 }, [RS1]));
    learnServers(e, 1, [RS1]);
    const [f0, f1, f2] = fragments(CLIENT6, VIP6, 5353, 53, 4000, [CLIENT_MAC, [...ETH0_MAC]]);
    const early = run(e, f1, 0);
    expect(early.verdict).toBe(VERDICT_DROP);
    expect(early.reason).toBe(0); // held, not dropped
    const b = new Batch(2, 1 << 16, 1 << 15, 8);
    b.push(f0, 0);
    b.push(f2, 0);
    expect(e.process(b, 1000)).toBe(3);
    const out = Array.from({ length: b.count }, (_, k) => b.frame(k).slice());
    expect(out.every((f) => dstOf(f) === RS1 && srcOf(f) === CLIENT6)).toBe(true);
    const d = reassemble(out);
    expect(d.ok).toBe(true);
    expect((d.l3[56] << 8) | d.l3[57]).toBe(8080);

    // The server's answer, fragmented too, goes back from the VIP.
    const back = fragments(RS1, CLIENT6, 8080, 5353, 3000, [RS_MAC(1), [...ETH1_MAC]], 0x0a0b0c0d).map((f) => run(e, f, 1));
    expect(back.every((o) => o.verdict === VERDICT_TX && o.ifOut === 0 && srcOf(o.frame) === VIP6)).toBe(true);
    const r = reassemble(back.map((o) => o.frame));
    expect(r.ok).toBe(true);
    expect((r.l3[54] << 8) | r.l3[55]).toBe(53);
  });

  it('drops a later fragment whose datagram key matches but whose addresses are another flow\'s', () => {
    const e = engine6(table6('nat', { protocol: 'udp', port: 53 }, [RS1]));
    learnServers(e, 1, [RS1]);
    const [f0] = fragments('2001:2::5:0:7', VIP6, 5353, 53, 2000, [CLIENT_MAC, [...ETH0_MAC]], 77);
    expect(run(e, f0, 0).verdict).toBe(VERDICT_TX);
    // Same fold, same identification, another client.
    const [, g1] = fragments('2001:2::7:0:5', VIP6, 5353, 53, 2000, [CLIENT_MAC, [...ETH0_MAC]], 77);
    const out = run(e, g1, 0);
    expect(out.verdict).toBe(VERDICT_DROP);
    expect(out.reason).toBe(DROP_FRAGMENT);
  });
});

describe('IPv6 firewall-mark services (ipvsadm -f N -6)', () => {
  function marked(persistence: number): Engine {
    const t = table6('nat', { name: 'fwm6', address6: undefined, port: 0, fwmark: 7, family6: true, persistence });
    const rule = (port: number) => ({ protocol: 'tcp' as const, address: 0, address6: '2001:2:0:1::', prefixLen: 64, portLo: port, portHi: port, mark: 7, origin: 'test' });
    const e = engine6({ ...t, marks: [rule(80), rule(443)] });
    learnServers(e, 1);
    return e;
  }
  const to = (port: number, sport: number) => frame6({ src: CLIENT6, dst: VIP6, proto: 6, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC], l4: tcpSeg(sport, port, SYN) });

  it('takes the flows its ip6tables rules mark, and only those', () => {
    const e = marked(0);
    const out = run(e, to(443, 41000), 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect([RS1, RS2]).toContain(dstOf(out.frame));
    expect(parsed(out.frame).dport).toBe(8080);
    expect(run(e, to(25, 41001), 0).verdict).toBe(VERDICT_PASS);
  });

  it('keeps a persistent client on one server across the marked ports (templates keyed by the mark)', () => {
    const e = marked(300);
    const servers = new Set([[80, 42000], [443, 42001], [80, 42002], [443, 42003]].map(([p, sp]) => dstOf(run(e, to(p, sp), 0).frame)));
    expect(servers.size).toBe(1);
  });
});

describe('IPv6 DR', () => {
  it('changes only the MACs', () => {
    // On the VIP's network, as the guide's DR layout has them.
    const servers = ['2001:2:0:1::21', '2001:2:0:1::22'];
    const e = engine6(table6('dr', {}, servers));
    learnServers(e, 0, servers);
    const syn = clientTcp(SYN);
    const out = run(e, syn, 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.ifOut).toBe(0);
    const k = hex(out.frame.subarray(0, 6)) === hex(Uint8Array.from(RS_MAC(1))) ? 1 : 2;
    expect(hex(out.frame)).toBe(hex(Uint8Array.from(RS_MAC(k))) + hex(ETH0_MAC) + hex(syn.subarray(12)));
  });
});

describe('IPv6 echo', () => {
  it('answers an echo request to the VIP and drops one with a bad checksum', () => {
    const e = engine6(table6('nat'));
    const ping = (csum: boolean) => frame6({ src: CLIENT6, dst: VIP6, proto: 58, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC], csum,
      l4: icmp6Msg(128, 0, [0, 7, 0, 1, 0x61, 0x62]) });
    const out = run(e, ping(true), 0);
    expect(out.verdict).toBe(VERDICT_TX);
    const i = parsed(out.frame);
    expect(i.icmpType).toBe(129);
    expect(srcOf(out.frame)).toBe(VIP6);
    expect(l4ChecksumOk6(out.frame, i.l3, i.l4, i.l4Len, 58)).toBe(true);
    expect(run(e, ping(false), 0).verdict).toBe(VERDICT_DROP);
  });

  it('does not answer while its addresses are released (the backup of a pair)', () => {
    const e = engine6({ ...table6('nat'), released: true });
    const ping = frame6({ src: CLIENT6, dst: VIP6, proto: 58, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC], l4: icmp6Msg(128, 0, [0, 7, 0, 1]) });
    expect(run(e, ping, 0).verdict).toBe(VERDICT_PASS);
    expect(a6(VIP6)).toHaveLength(16);
  });
});
