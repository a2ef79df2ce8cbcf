// The client-MAC (peer) table: entries are held by the connections using them,
// and unreferenced ones are evicted (least recently released first) when the
// table is full, so a SYN flood of random source MACs cannot lock clients out.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { VERDICT_TX } from '../../src/frames/batch.js';
import { buildTcp } from '../../src/packet/build.js';
import { addNeighbours, CLIENT, ETH0_MAC, ETH1_MAC, ip, rsMac, run, service, table, VIP } from './helpers.js';

const SYN = 0x02, SYN_ACK = 0x12;
const RS = ip('198.19.0.11');
const mac = (n: number) => Uint8Array.from([0x02, 0xee, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);

function world(peerCapacity: number): Engine {
  const t = table([service([{ addr: '198.19.0.11' }])]);
  const e = new Engine({ interfaces: [{ name: 'eth0', mac: ETH0_MAC }, { name: 'eth1', mac: ETH1_MAC }], table: t, connCapacity: 1024, peerCapacity });
  addNeighbours(e, t);
  return e;
}

/** A SYN from client (n) with its own MAC, then the real server's SYN-ACK back: returns the reply's output. */
function connect(e: Engine, n: number, now: number) {
  const src = CLIENT + n;
  const syn = buildTcp({ srcMac: mac(n), dstMac: ETH0_MAC, src, dst: VIP, sport: 40000, dport: 80, flags: SYN });
  expect(run(e, syn, 0, now).verdict).toBe(VERDICT_TX);
  const reply = buildTcp({ srcMac: rsMac(RS), dstMac: ETH1_MAC, src: RS, dst: src, sport: 80, dport: 40000, flags: SYN_ACK });
  return run(e, reply, 1, now);
}

describe('client peer table', () => {
  it('serves a new client MAC after a flood of random MACs has expired', () => {
    const e = world(16);
    for (let n = 1; n <= 40; n++) connect(e, n, 1000);
    expect(e.counters.snapshot().client_table_full).toBeGreaterThan(0);
    e.conns.expire(1000 + 10 * 60_000); // every flood connection times out
    const out = connect(e, 100, 1000 + 10 * 60_000 + 1);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.frame.subarray(0, 6)).toEqual(mac(100));
    expect(e.counters.snapshot().client_peers_evicted).toBeGreaterThan(0);
  });

  it('keeps the peers of live connections and evicts only released ones', () => {
    const e = world(4); // 3 usable entries (index 0 is "none")
    for (let n = 1; n <= 3; n++) connect(e, n, 1000);
    const full = connect(e, 4, 1000); // no room: its reply has no way back
    expect(full.verdict).not.toBe(VERDICT_TX);
    expect(e.counters.snapshot().client_table_full).toBe(1);
    // Client 1's connections still route replies to its own MAC.
    const again = buildTcp({ srcMac: rsMac(RS), dstMac: ETH1_MAC, src: RS, dst: CLIENT + 1, sport: 80, dport: 40000, flags: 0x10 });
    expect(run(e, again, 1, 1001).frame.subarray(0, 6)).toEqual(mac(1));
  });
});
