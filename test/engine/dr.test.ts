import { describe, expect, it } from 'vitest';
import { VERDICT_TX } from '../../src/frames/batch.js';
import { buildTcp } from '../../src/packet/build.js';
import { CLIENT, CLIENT_MAC, ETH0_MAC, engine, hex, ip, rsMac, run, service, table, VIP } from './helpers.js';

const SYN = 0x02, ACK = 0x10, FIN = 0x01;

describe('DR', () => {
  const dr = () => engine(table([service([{ addr: '198.18.0.21' }, { addr: '198.18.0.22' }], { forward: 'dr' })]));

  it('changes only the MACs: destination = real server, source = the router', () => {
    const e = dr();
    const syn = buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: 5555, dport: 80, flags: SYN, seq: 7 });
    const out = run(e, syn, 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.ifOut).toBe(0);
    const rs = ip('198.18.0.22');
    expect(hex(out.frame)).toBe(hex(buildTcp({ srcMac: ETH0_MAC, dstMac: rsMac(rs), src: CLIENT, dst: VIP, sport: 5555, dport: 80, flags: SYN, seq: 7 })));
  });

  it('a real server whose MAC changes (learned again) gets the next frames at its new MAC', () => {
    const e = engine(table([service([{ addr: '198.18.0.22' }], { forward: 'dr' })]), { neighbours: false });
    const rs = ip('198.18.0.22');
    const f = (flags: number) => buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: 5555, dport: 80, flags });
    e.neigh.heard(rs, rsMac(rs), 0, 0, 0);
    expect(hex(run(e, f(SYN), 0).frame.subarray(0, 12))).toBe(hex(rsMac(rs)) + hex(ETH0_MAC));
    const moved = Uint8Array.from([2, 0x99, 0, 0, 0, 7]);
    e.neigh.heard(rs, moved, 0, 0, 0);
    expect(hex(run(e, f(ACK), 0).frame.subarray(0, 12))).toBe(hex(moved) + hex(ETH0_MAC));
  });

  it('tracks state from client packets only (input-only table): ACK establishes, FIN goes to FIN_WAIT', () => {
    const e = dr();
    const f = (flags: number) => buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: 5555, dport: 80, flags });
    run(e, f(SYN), 0);
    const slot = e.conns.lookup(6, CLIENT, 5555, VIP, 80) >>> 1;
    const d = e.conns.destOf(slot);
    run(e, f(ACK), 0);
    expect(e.services.dests.active[d]).toBe(1);
    run(e, f(FIN | ACK), 0);
    expect(e.conns.stateOf(slot)).toBe(4); // FIN_WAIT
    expect(e.services.dests.inactive[d]).toBe(1);
    // DR conns are hashed by the client tuple only: nothing comes back through the router.
    expect(e.conns.lookup(6, e.conns.daddrOf(slot), 80, CLIENT, 5555)).toBe(0);
  });
});
