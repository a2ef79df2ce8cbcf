// Frames addressed to another host's MAC (PACKET_OTHERHOST: flooded unknown
// unicast on a switch) are dropped and counted, as the kernel drops them; frames
// to the interface's own MAC, broadcast and multicast go on (issue 15 item 6).
import { describe, expect, it } from 'vitest';
import { VERDICT_DROP, VERDICT_TX } from '../../src/frames/batch.js';
import { buildArp, buildTcp } from '../../src/packet/build.js';
import { CLIENT, CLIENT_MAC, ETH0_MAC, ETH1_MAC, engine, ip, rsMac, run, service, table, VIP } from './helpers.js';

const SYN = 0x02;
const OTHER = Uint8Array.from([0x02, 0x99, 0, 0, 0, 0x07]);
const world = () => engine(table([service([{ addr: '198.19.0.11' }])]));
const syn = (dstMac: Uint8Array | string) => buildTcp({ srcMac: CLIENT_MAC, dstMac, src: CLIENT, dst: VIP, sport: 1234, dport: 80, flags: SYN });

describe('destination MAC filter', () => {
  it('drops a SYN to the VIP addressed to another host, and counts it', () => {
    const e = world();
    expect(run(e, syn(OTHER), 0).verdict).toBe(VERDICT_DROP);
    expect(e.counters.snapshot().drop_other_host).toBe(1);
    expect(e.counters.connsCreated).toBe(0);
  });

  it('drops a frame carrying the other interface\'s MAC (it is not this segment\'s router)', () => {
    const e = world();
    expect(run(e, syn(ETH1_MAC), 0).verdict).toBe(VERDICT_DROP);
    expect(e.counters.snapshot().drop_other_host).toBe(1);
  });

  it('forwards a SYN to its own MAC; answers a broadcast ARP', () => {
    const e = world();
    const out = run(e, syn(ETH0_MAC), 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.frame.subarray(0, 6)).toEqual(rsMac(ip('198.19.0.11')));
    const arp = buildArp({ srcMac: CLIENT_MAC, dstMac: 'ff:ff:ff:ff:ff:ff', op: 1, senderMac: CLIENT_MAC, senderIp: CLIENT, targetIp: VIP });
    expect(run(e, arp, 0).verdict).toBe(VERDICT_TX);
    expect(e.counters.snapshot().drop_other_host).toBe(undefined);
  });
});
