// A frame held for a next hop being resolved (engine/unresolved.ts) is given up
// after 3 s by the data plane's tick too, when no other frame comes to run the
// engine: counted as next_hop_unknown, the hold emptied.
import { describe, expect, it } from 'vitest';
import { DataPlaneHost } from '../../src/router/dataplane-host.js';
import { createLogger } from '../../src/router/log.js';
import { MemoryPort } from '../../src/io/memory.js';
import type { LivePort } from '../../src/frames/port.js';
import { diffTables } from '../../src/model/diff.js';
import { buildTcp } from '../../src/packet/build.js';
import { CLIENT, CLIENT_MAC, ETH0_MAC, ETH1_MAC, service, table, VIP } from '../engine/helpers.js';

class FakePort extends MemoryPort implements LivePort {
  onReadable(): void {}
  override close(): void {}
}

describe('the data plane tick', () => {
  it('gives up a frame held for an unanswered next hop after 3 s with no other traffic', () => {
    const clock = { t: 1000 };
    const port = new FakePort();
    const host = new DataPlaneHost({
      devices: ['eth0', 'eth1'], macs: [ETH0_MAC, ETH1_MAC], connCapacity: 1024, openPort: () => port,
      log: createLogger({ write: () => {} }), shared: false, clock: () => clock.t,
    });
    host.start(diffTables(null, table([service([{ addr: '198.19.0.11' }])])));
    port.inject(0, buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: 40000, dport: 80, flags: 0x02 }));
    host.drain();
    expect(host.engine.held.count).toBe(1);
    clock.t += 2000;
    host.tick();
    expect(host.engine.held.count).toBe(1);
    clock.t += 1000;
    host.tick();
    expect(host.engine.held.count).toBe(0);
    expect(host.engine.counters.snapshot()).toMatchObject({ next_hop_frames_held: 1, drop_next_hop_unknown: 1 });
  });
});
