// Issue 15 item 5: an 802.1Q-tagged frame is not the router's (the kernel hands it
// to a VLAN device, which tsvs does not run): no ARP answer for the VIP on any
// VLAN, no tagged SYN forwarded, each counted as drop_vlan_tagged.
import { describe, expect, it } from 'vitest';
import { VERDICT_DROP, VERDICT_TX } from '../../src/frames/batch.js';
import { DROP_VLAN } from '../../src/engine/counters.js';
import { buildArp, buildTcp } from '../../src/packet/build.js';
import { CLIENT, CLIENT_MAC, ETH0_MAC, engine, run, service, table, VIP } from './helpers.js';

const SYN = 0x02;
const world = () => engine(table([service([{ addr: '198.19.0.11' }])]));
const arpFor = (vlan?: number) =>
  buildArp({ srcMac: CLIENT_MAC, dstMac: 'ff:ff:ff:ff:ff:ff', op: 1, senderMac: CLIENT_MAC, senderIp: CLIENT, targetIp: VIP, vlan });
const synFor = (vlan?: number) =>
  buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: 40000, dport: 80, flags: SYN, vlan });

describe('802.1Q-tagged frames', () => {
  it('answers no ARP for the VIP on VLAN 0, 1, 42 or 4095, and counts each', () => {
    const e = world();
    for (const id of [0, 1, 42, 4095]) {
      const out = run(e, arpFor(id), 0);
      expect(out.verdict).toBe(VERDICT_DROP);
      expect(out.reason).toBe(DROP_VLAN);
    }
    expect(e.counters.arpReplies).toBe(0);
    expect(e.counters.snapshot().drop_vlan_tagged).toBe(4);
  });

  it('does not forward a tagged SYN, nor create its connection', () => {
    const e = world();
    // PCP 5 on VLAN 42: the whole TCI is ignored, not just the id.
    const out = run(e, synFor((5 << 13) | 42), 0);
    expect(out.verdict).toBe(VERDICT_DROP);
    expect(out.reason).toBe(DROP_VLAN);
    expect(e.conns.count).toBe(0);
    expect(e.counters.snapshot()).toMatchObject({ drop_vlan_tagged: 1, conns_created: 0, tx_frames: 0 });
  });

  it('still answers and forwards the same frames untagged', () => {
    const e = world();
    expect(run(e, arpFor(), 0).verdict).toBe(VERDICT_TX);
    expect(run(e, synFor(), 0).verdict).toBe(VERDICT_TX);
    expect(e.counters.snapshot().drop_vlan_tagged).toBeUndefined();
  });
});
