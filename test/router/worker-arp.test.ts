// Several data-plane workers and ARP (dataplane-host.ts WorkerShare): the fanout
// program sends ARP to worker 0 alone; it hands what it hears to the others, so a
// worker holding a frame for a next hop sends it once worker 0 heard the answer.
// Only worker 0 announces the addresses.
import { describe, expect, it } from 'vitest';
import { DataPlaneHost, type WorkerShare } from '../../src/router/dataplane-host.js';
import { createLogger } from '../../src/router/log.js';
import { MemoryPort } from '../../src/io/memory.js';
import type { LivePort } from '../../src/frames/port.js';
import { diffTables } from '../../src/model/diff.js';
import { buildArp, buildTcp } from '../../src/packet/build.js';
import { CLIENT, CLIENT_MAC, ETH0_MAC, ETH1_MAC, ip, rsMac, service, table, VIP } from '../engine/helpers.js';

class FakePort extends MemoryPort implements LivePort {
  onReadable(): void {}
  override close(): void {}
}

const RS = ip('198.19.0.11');

function worker(share: WorkerShare) {
  const port = new FakePort();
  const host = new DataPlaneHost({
    devices: ['eth0', 'eth1'], macs: [ETH0_MAC, ETH1_MAC], connCapacity: 1024, openPort: () => port,
    log: createLogger({ write: () => {} }), shared: false, clock: () => 1000, share,
  });
  host.start(diffTables(null, table([service([{ addr: '198.19.0.11' }])])));
  return { host, port };
}

describe('ARP with several workers', () => {
  it('worker 0 relays the ARP it hears; a worker holding a frame for that next hop then sends it', () => {
    const relayed: Array<[Uint8Array, number]> = [];
    const w0 = worker({ first: true, relay: (f, itf) => relayed.push([f, itf]) });
    const w1 = worker({ first: false });
    // Only worker 0 announces: its gratuitous ARPs went out at start, worker 1 sent none.
    const garps = (p: FakePort) => p.takeSent(0).filter((f) => f[12] === 0x08 && f[13] === 0x06).length;
    expect(garps(w0.port)).toBeGreaterThan(0);
    expect(garps(w1.port)).toBe(0);
    // A client's SYN reaches worker 1: held, the real server's MAC unknown there.
    w1.port.inject(0, buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: 40000, dport: 80, flags: 0x02 }));
    w1.host.drain();
    expect(w1.host.engine.held.count).toBe(1);
    w1.port.takeSent(1);
    // The server's ARP reply reaches worker 0 (the fanout program's choice for ARP); it relays it.
    const reply = buildArp({ op: 2, srcMac: rsMac(RS), dstMac: ETH1_MAC, senderMac: rsMac(RS), senderIp: RS, targetMac: ETH1_MAC, targetIp: ip('198.19.0.1') });
    w0.port.inject(1, reply);
    w0.host.drain();
    expect(relayed).toHaveLength(1);
    expect(relayed[0][1]).toBe(1);
    expect(Buffer.from(relayed[0][0])).toEqual(Buffer.from(reply));
    w1.host.hearArp(...relayed[0]);
    expect(w1.host.engine.held.count).toBe(0);
    const sent = w1.port.takeSent(1).filter((f) => f[12] === 0x08 && f[13] === 0x00);
    expect(sent).toHaveLength(1);
    expect(Buffer.from(sent[0].subarray(0, 6))).toEqual(Buffer.from(rsMac(RS)));
    // Worker 1 did not count the relayed frame as one of its own.
    expect(w1.host.engine.counters.snapshot().pass_arp_not_for_us ?? 0).toBe(0);
  });

  it('relays at most 512 ARP frames a second', () => {
    let relayed = 0;
    const w0 = worker({ first: true, relay: () => relayed++ });
    const req = buildArp({ op: 1, srcMac: rsMac(RS), dstMac: 'ff:ff:ff:ff:ff:ff', senderMac: rsMac(RS), senderIp: RS, targetIp: ip('198.19.0.99') });
    for (let k = 0; k < 12; k++) {
      for (let i = 0; i < 64; i++) w0.port.inject(1, req);
      w0.host.drain();
    }
    expect(relayed).toBe(512);
  });

  it('relays only senders the table wants: a flood of strangers leaves the budget to the real server\'s reply', () => {
    const relayed: number[] = [];
    const w0 = worker({ first: true, relay: (f) => relayed.push((f[28] << 24 | f[29] << 16 | f[30] << 8 | f[31]) >>> 0) });
    for (let k = 0; k < 12; k++) {
      for (let i = 0; i < 64; i++) {
        const stranger = ip(`198.19.1.${i}`);
        w0.port.inject(1, buildArp({ op: 1, srcMac: rsMac(stranger), dstMac: 'ff:ff:ff:ff:ff:ff', senderMac: rsMac(stranger), senderIp: stranger, targetIp: ip('198.19.0.99') }));
      }
      w0.host.drain();
    }
    w0.port.inject(1, buildArp({ op: 2, srcMac: rsMac(RS), dstMac: ETH1_MAC, senderMac: rsMac(RS), senderIp: RS, targetMac: ETH1_MAC, targetIp: ip('198.19.0.1') }));
    w0.host.drain();
    expect(relayed).toEqual([RS]);
  });
});
