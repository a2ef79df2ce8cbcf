// ip_vs_leave: a packet for a virtual service with no usable real server is
// answered with ICMP port unreachable, for UDP and TCP alike ("no matter it is
// TCP/UDP", ip_vs_core.c), rate-limited and counted. The expected frame is
// written out byte by byte.
import { describe, expect, it } from 'vitest';
import { VERDICT_DROP, VERDICT_TX } from '../../src/frames/batch.js';
import { buildTcp, buildUdp, ipv4Datagram } from '../../src/packet/build.js';
import * as C from '../../src/engine/counters.js';
import { ICMP_BURST } from '../../src/engine/icmp-send.js';
import { CLIENT, CLIENT_MAC, ETH0_MAC, engine, hex, run, service, table, VIP } from './helpers.js';

const quiesced = (protocol: 'udp' | 'tcp') => engine(table([service([{ addr: '198.19.0.21', weight: 0 }], { protocol, port: 53 })]));
const query = () => buildUdp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: 5353, dport: 53, payload: new TextEncoder().encode('abcd') });

describe('no usable real server (ip_vs_leave)', () => {
  it('answers a UDP datagram with port unreachable from the VIP, quoting it whole (golden frame)', () => {
    const e = quiesced('udp');
    const q = query();
    expect(hex(ipv4Datagram(q))).toBe('45000020000000004011ee3ac6120064c612000a14e90035000c995e61626364');
    const out = run(e, q, 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.ifOut).toBe(0);
    // IP: tos c0, length 60, id 1, ttl 64, ICMP, VIP -> client; ICMP 3/3, checksum 89ad, unused 0, the datagram.
    expect(hex(out.frame)).toBe(hex(CLIENT_MAC) + hex(ETH0_MAC) + '0800' +
      '45c0003c000100004001ed6dc612000ac6120064' + '030389ad00000000' + '45000020000000004011ee3ac6120064c612000a14e90035000c995e61626364');
    expect(e.counters.drops[C.DROP_NO_DEST]).toBe(1);
    expect(e.counters.n[C.N_ICMP_UNREACH]).toBe(1);
  });

  it('answers a TCP SYN the same way (IPVS sends no RST: it has no socket)', () => {
    const e = quiesced('tcp');
    const syn = buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: 4000, dport: 53, flags: 0x02 });
    const out = run(e, syn, 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(hex(out.frame.subarray(34, 36))).toBe('0303');
    expect(hex(out.frame.subarray(42))).toBe(hex(ipv4Datagram(syn)));
  });

  it('sends at most a burst of 50, then drops and counts the rest as no_real_server', () => {
    const e = quiesced('udp');
    const verdicts = Array.from({ length: ICMP_BURST + 3 }, () => run(e, query(), 0, 7000));
    expect(verdicts.filter((o) => o.verdict === VERDICT_TX).length).toBe(ICMP_BURST);
    const last = verdicts[verdicts.length - 1];
    expect(last.verdict).toBe(VERDICT_DROP);
    expect(C.dropName(last.reason)).toBe('no_real_server');
    expect(e.counters.drops[C.DROP_NO_DEST]).toBe(ICMP_BURST + 3);
    expect(e.counters.n[C.N_ICMP_RATE_LIMITED]).toBe(3);
  });

  it('never answers a datagram from 0.0.0.0', () => {
    const e = quiesced('udp');
    const out = run(e, buildUdp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: 0, dst: VIP, sport: 68, dport: 53 }), 0);
    expect(out.verdict).toBe(VERDICT_DROP);
    expect(e.counters.n[C.N_ICMP_UNREACH]).toBe(0);
  });
});
