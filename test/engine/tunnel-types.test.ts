// LVS-TUN's other encapsulations, as the kernel's ip_vs_xmit.c writes them
// (ipvs_gue_encap, ipvs_gre_encap): golden frames of the outer IPv4 + UDP + GUE
// and IPv4 + GRE headers written out by hand, every checksum checked against
// its definition (RFC 768's pseudo-header for UDP, RFC 2784's for GRE), the
// remote checksum offload's option, and the MTU each header takes off.
import { describe, expect, it } from 'vitest';
import { Batch, VERDICT_DROP, VERDICT_TX } from '../../src/frames/batch.js';
import { buildTcp, ipv4Datagram } from '../../src/packet/build.js';
import { pseudoSum, sum16 } from '../../src/packet/checksum.js';
import * as C from '../../src/engine/counters.js';
import type { RealServer, TunnelCsum, TunnelType } from '../../src/model/index.js';
import { CLIENT, CLIENT_MAC, ETH0_MAC, ETH1_MAC, engine, hex, ip, rsMac, run, runAll, service, table, VIP } from './helpers.js';

const SYN = 0x02, ACK = 0x10;
const RS = ip('198.19.0.21');

function tunTable(type: TunnelType, csum: TunnelCsum = 'none', port = 6080) {
  const svc = service([{ addr: '198.19.0.21' }], { forward: 'tunnel' });
  const servers = svc.servers.map((r): RealServer => ({ ...r, tunnelType: type, tunnelCsum: csum, ...(type === 'gue' ? { tunnelPort: port } : {}) }));
  return table([{ ...svc, servers }]);
}

function tun(type: TunnelType, csum: TunnelCsum = 'none', port = 6080) {
  const e = engine(tunTable(type, csum, port), { neighbours: false });
  e.neigh.setStatic(RS, rsMac(RS), 0, 1);
  return e;
}

const tcp = (o: { df?: boolean; flags?: number; payload?: number; sport?: number } = {}) =>
  buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: o.sport ?? 5555, dport: 80, flags: o.flags ?? SYN, seq: 7,
    df: o.df, payload: o.payload ? new Uint8Array(o.payload).fill(0x61) : undefined });

const L2 = hex(rsMac(RS)) + hex(ETH1_MAC) + '0800';
/** The UDP checksum over the pseudo-header sums to all ones when it is right (RFC 768). */
const udpOk = (f: Uint8Array, len: number) => sum16(f, 34, len, pseudoSum(ip('198.19.0.1'), RS, 17, len)) === 0xffff;

describe('LVS-TUN with GUE (ipvs_gue_encap)', () => {
  it('outer IPv4 (protocol 17) + UDP to the tunnel port + GUE (version 0, hlen 0, proto 4), no UDP checksum by default (golden frame)', () => {
    const e = tun('gue');
    const syn = tcp({ df: true });
    const out = run(e, syn, 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.ifOut).toBe(1);
    const f = out.frame;
    // ver/ihl 45, tos 0, length 72 (20 + 8 + 4 + 40), id 0, DF, ttl 64, UDP, checksum, 198.19.0.1 -> 198.19.0.21
    expect(hex(f.subarray(0, 34))).toBe(L2 + '45000048000040004011ae68c6130001c6130015');
    const sport = (f[34] << 8) | f[35];
    expect(sport).toBeGreaterThanOrEqual(32768);
    expect(sport).toBeLessThan(61000);
    // dport 6080, length 52, checksum 0 (--tun-nocsum); GUE 00 04 0000
    expect(hex(f.subarray(36, 46))).toBe('17c00034000000040000');
    expect(hex(f.subarray(46))).toBe(hex(ipv4Datagram(syn)));
    expect(sum16(f, 14, 20)).toBe(0xffff);
    expect(e.counters.n[C.N_TUNNELED]).toBe(1);
  });

  it('one flow keeps its UDP source port (udp_flow_src_port); another flow may get another', () => {
    const e = tun('gue');
    const port = (sp: number) => { const f = run(e, tcp({ sport: sp }), 0).frame; return (f[34] << 8) | f[35]; };
    expect(port(1000)).toBe(port(1000));
    const ports = new Set([1000, 1001, 1002, 1003, 1004, 1005].map(port));
    expect(ports.size).toBeGreaterThan(1);
  });

  it('--tun-csum: a valid UDP checksum over the pseudo-header, UDP, GUE and the inner datagram', () => {
    const e = tun('gue', 'csum');
    const out = run(e, tcp({ payload: 333 }), 0);
    const len = out.frame.length - 34;
    expect((out.frame[40] << 8) | out.frame[41]).not.toBe(0);
    expect(udpOk(out.frame, len)).toBe(true);
  });

  it('--tun-csum with the inner checksum still to fill (CHECKSUM_PARTIAL): lco_csum, valid once the device fills the inner one', () => {
    const e = tun('gue', 'csum');
    const syn = tcp({ payload: 100 });
    const b = new Batch(1, 1 << 16);
    b.push(syn, 0);
    // The inner TCP checksum as a device would receive it: the pseudo-header sum only.
    const l4 = 34, tcpLen = syn.length - l4;
    const seed = pseudoSum(CLIENT, VIP, 6, tcpLen);
    b.buf[b.off[0] + l4 + 16] = seed >> 8;
    b.buf[b.off[0] + l4 + 17] = seed & 0xff;
    b.csumPartial[0] = 1;
    b.csumStart[0] = l4;
    b.csumOffset[0] = 16;
    e.process(b, 1000);
    expect(b.verdict[0]).toBe(VERDICT_TX);
    const f = b.frame(0).slice();
    expect(b.csumPartial[0]).toBe(1);
    expect(b.csumStart[0]).toBe(l4 + 32);
    // Fill the inner checksum as the device will, then check both.
    const at = b.csumStart[0] + 16;
    f[at] = 0; f[at + 1] = 0;
    const c = ~sum16(f, b.csumStart[0], f.length - b.csumStart[0], seed) & 0xffff;
    f[at] = c >> 8; f[at + 1] = c & 0xff;
    expect(udpOk(f, f.length - 34)).toBe(true);
  });

  it('--tun-remcsum with CHECKSUM_PARTIAL: hlen 2, flag PRIV, private word REMCSUM, start/offset from the inner datagram; the inner checksum left to the server', () => {
    const e = tun('gue', 'remcsum');
    const syn = tcp();
    const b = new Batch(1, 1 << 16);
    b.push(syn, 0);
    b.csumPartial[0] = 1;
    b.csumStart[0] = 34;
    b.csumOffset[0] = 16;
    e.process(b, 1000);
    expect(b.verdict[0]).toBe(VERDICT_TX);
    const f = b.frame(0);
    // length 20 + 8 + 12 + 40 = 80; UDP length 60
    expect(hex(f.subarray(14, 18))).toBe('45000050');
    expect(hex(f.subarray(38, 40))).toBe('003c');
    // GUE: hlen 2, proto 4, flags 0x0001 (GUE_FLAG_PRIV); private flags 0x80000000 (GUE_PFLAG_REMCSUM); start 20, field 36
    expect(hex(f.subarray(42, 54))).toBe('020400018000000000140024');
    expect(hex(f.subarray(54))).toBe(hex(ipv4Datagram(syn)));
    // CHECKSUM_NONE from here: the UDP checksum covers the bytes as sent.
    expect(b.csumPartial[0]).toBe(0);
    expect(udpOk(f, f.length - 34)).toBe(true);
  });

  it('--tun-remcsum on a complete datagram: no option, a UDP checksum as --tun-csum', () => {
    const e = tun('gue', 'remcsum');
    const out = run(e, tcp(), 0);
    expect(out.frame.length).toBe(14 + 20 + 12 + 40);
    expect(hex(out.frame.subarray(42, 46))).toBe('00040000');
    expect(udpOk(out.frame, out.frame.length - 34)).toBe(true);
  });
});

describe('LVS-TUN with GRE (ipvs_gre_encap)', () => {
  it('outer IPv4 (protocol 47) + GRE (no flags, version 0, protocol 0x0800) (golden frame)', () => {
    const e = tun('gre');
    const syn = tcp({ df: true });
    const out = run(e, syn, 0);
    expect(out.verdict).toBe(VERDICT_TX);
    // length 64 (20 + 4 + 40), protocol 2f
    expect(hex(out.frame.subarray(0, 38))).toBe(L2 + '450000400000400040' + '2f' + 'ae52c6130001c6130015' + '00000800');
    expect(sum16(out.frame, 14, 20)).toBe(0xffff);
    expect(hex(out.frame.subarray(38))).toBe(hex(ipv4Datagram(syn)));
  });

  it('--tun-csum: the C bit, and a checksum over the GRE header and payload (RFC 2784)', () => {
    const e = tun('gre', 'csum');
    const syn = tcp({ payload: 77 });
    const out = run(e, syn, 0);
    const f = out.frame;
    expect(hex(f.subarray(14, 18))).toBe(hex(Uint8Array.of(0x45, 0, 0, 20 + 8 + syn.length - 14)));
    expect(hex(f.subarray(34, 38))).toBe('80000800');
    expect(hex(f.subarray(40, 42))).toBe('0000');
    expect(sum16(f, 34, f.length - 34)).toBe(0xffff);
    expect(hex(f.subarray(42))).toBe(hex(ipv4Datagram(syn)));
  });

  it('--tun-csum with CHECKSUM_PARTIAL: the GRE checksum is right once the device fills the inner one', () => {
    const e = tun('gre', 'csum');
    const syn = tcp({ payload: 51 });
    const b = new Batch(1, 1 << 16);
    b.push(syn, 0);
    const seed = pseudoSum(CLIENT, VIP, 6, syn.length - 34);
    b.buf[b.off[0] + 50] = seed >> 8;
    b.buf[b.off[0] + 51] = seed & 0xff;
    b.csumPartial[0] = 1;
    b.csumStart[0] = 34;
    b.csumOffset[0] = 16;
    e.process(b, 1000);
    const f = b.frame(0).slice();
    expect(b.csumStart[0]).toBe(34 + 28);
    const at = b.csumStart[0] + 16;
    f[at] = 0; f[at + 1] = 0;
    const c = ~sum16(f, b.csumStart[0], f.length - b.csumStart[0], seed) & 0xffff;
    f[at] = c >> 8; f[at + 1] = c & 0xff;
    expect(sum16(f, 34, f.length - 34)).toBe(0xffff);
  });
});

describe('LVS-TUN tunnel type changes', () => {
  it('a new table version that changes only the tunnel type (ipvsadm -e --tun-type) takes effect for the flow already open', () => {
    const e = tun('ipip');
    expect(run(e, tcp(), 0).frame[14 + 9]).toBe(4);
    e.apply(tunTable('gre'));
    expect(run(e, tcp({ flags: ACK }), 0).frame[14 + 9]).toBe(47);
    e.apply(tunTable('gue', 'none', 7000));
    const f = run(e, tcp({ flags: ACK }), 0).frame;
    expect(f[14 + 9]).toBe(17);
    expect((f[36] << 8) | f[37]).toBe(7000);
  });
});

describe('LVS-TUN MTU per encapsulation (__ip_vs_get_out_rt)', () => {
  // Egress MTU 1500: IPIP leaves 1480, GUE 1448 (20 + 8 + 4), GRE 1476 (20 + 4) or 1472 with its checksum.
  const cases: Array<[TunnelType, TunnelCsum, number]> = [['gue', 'none', 1468], ['gue', 'csum', 1468], ['gre', 'none', 1476], ['gre', 'csum', 1472]];
  for (const [type, csum, mtu] of cases) {
    it(`${type} ${csum}: ${mtu} bytes fit, ${mtu + 1} with DF earn "fragmentation needed" with MTU ${mtu}`, () => {
      const e = tun(type, csum);
      run(e, tcp({ df: true }), 0);
      const fits = run(e, tcp({ df: true, flags: ACK, payload: mtu - 40 }), 0);
      expect(fits.verdict).toBe(VERDICT_TX);
      expect(fits.frame.length).toBe(14 + 1500);
      const big = run(e, tcp({ df: true, flags: ACK, payload: mtu + 1 - 40 }), 0);
      expect(big.verdict).toBe(VERDICT_TX);
      expect(big.ifOut).toBe(0);
      expect(hex(big.frame.subarray(34, 36))).toBe('0304');
      expect((big.frame[40] << 8) | big.frame[41]).toBe(mtu);
      // Without DF the outer packet goes in two fragments, DF clear outside too.
      const noDf = runAll(e, tcp({ flags: ACK, payload: mtu + 1 - 40 }), 0);
      expect(noDf.map((o) => [o.verdict, o.frame.length, o.frame[14 + 6] & 0x60])).toEqual([[VERDICT_TX, 14 + 1500, 0x20], [VERDICT_TX, 14 + 20 + 1, 0]]);
    });
  }

  it('remcsum with CHECKSUM_PARTIAL takes 8 bytes more (1460)', () => {
    const e = tun('gue', 'remcsum');
    run(e, tcp({ df: true }), 0);
    const send = (payload: number) => {
      const b = new Batch(1, 1 << 16);
      b.push(tcp({ df: true, flags: ACK, payload }), 0);
      b.csumPartial[0] = 1; b.csumStart[0] = 34; b.csumOffset[0] = 16;
      e.process(b, 1000);
      return b;
    };
    expect(send(1460 - 40).ifOut[0]).toBe(1);
    const b = send(1461 - 40);
    expect(b.ifOut[0]).toBe(0);
    expect((b.frame(0)[40] << 8) | b.frame(0)[41]).toBe(1460);
  });
});

describe('GSO super-frames to GUE and GRE servers', () => {
  /** A 2,000-byte super-frame cut at 1,000 for a server of `type`: the two frames sent. */
  function cut(type: TunnelType, csum: TunnelCsum) {
    const e = tun(type, csum);
    run(e, tcp({ df: true }), 0);
    const f = tcp({ df: true, flags: ACK, payload: 2000 });
    const b = new Batch(1, 1 << 20, 1 << 19, 8);
    b.push(f, 0);
    b.gsoType[0] = 1;
    b.gsoSize[0] = 1000;
    b.csumPartial[0] = 1;
    b.csumStart[0] = 34;
    b.csumOffset[0] = 16;
    expect(e.process(b, 1000)).toBe(2);
    return [b.frame(0), b.frame(1)].map((x, k) => ({ f: Uint8Array.from(x), partial: b.csumPartial[k] }));
  }

  it('GUE with a UDP checksum: each segment its own UDP datagram to the tunnel port, checksum valid once the inner one is filled', () => {
    for (const { f, partial } of cut('gue', 'csum')) {
      expect(f.length).toBe(14 + 20 + 8 + 4 + 40 + 1000);
      expect((f[36] << 8) | f[37]).toBe(6080);
      expect(partial).toBe(1);
      // The device fills the inner TCP checksum (from csum_start); the outer UDP checksum was computed for that (lco_csum).
      const inner = 46 + 20, tcpLen = 1020;
      const c = ~sum16(f, inner, tcpLen) & 0xffff;
      f[inner + 16] = c >> 8;
      f[inner + 17] = c & 0xff;
      expect(sum16(f, inner, tcpLen, pseudoSum(CLIENT, VIP, 6, tcpLen))).toBe(0xffff);
      expect(udpOk(f, f.length - 34)).toBe(true);
    }
  });

  it('GUE with remcsum: the option on each segment, the inner checksum left to the server', () => {
    for (const { f, partial } of cut('gue', 'remcsum')) {
      expect(partial).toBe(0);
      expect(f.length).toBe(14 + 20 + 8 + 4 + 8 + 40 + 1000);
      expect(f[42] & 0x1f).toBe(2); // GUE hlen: two 4-byte words (flags' private word, remcsum's start and offset)
    }
  });

  it('GRE: protocol 47 around each segment', () => {
    for (const { f } of cut('gre', 'none')) {
      expect(f[14 + 9]).toBe(47);
      expect(f.length).toBe(14 + 20 + 4 + 40 + 1000);
    }
  });
});
