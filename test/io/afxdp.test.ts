// The AF_XDP backend: what is testable without the kernel (fence elements to
// steering-map keys, the counters' mapping, the fence's mirror), and, as root with
// the addon built, the PacketPort contract over veth with the XDP program steering
// the contract's frames (UDP to 198.18.0.2) to the XSK sockets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { AfXdpPort, loadXdp, parseElement, STEER_ADD, STEER_CLEAR, STEER_DELETE, xskCounters, XdpSteering, type XskStats } from '../../src/io/afxdp.js';
import { Fence } from '../../src/router/fence.js';
import { newSets } from '../../src/router/fence-elements.js';
import { Batch } from '../../src/frames/batch.js';
import { buildUdp } from '../../src/packet/build.js';
import { portContract } from './port-contract.js';
import { vethHarness, vethPair, type VethPair } from './veth-harness.js';

describe('steering maps from the fence\'s sets', () => {
  it('parses set elements as nft writes them', () => {
    expect(parseElement('owned', '198.18.0.10')).toEqual([0xc612000a, 0]);
    expect(parseElement('nat_tcp', '198.19.0.2 . 80')).toEqual([0xc6130002, 80]);
    expect(parseElement('nat_any', '255.255.255.255')).toEqual([0xffffffff, 0]);
    expect(() => parseElement('nat_udp', '198.19.0.2')).toThrow(/address \. port/);
    expect(() => parseElement('owned', '198.18.0.256')).toThrow(/IPv4/);
  });

  it('follows the fence: install empties and fills, add and delete change elements, remove empties', () => {
    const calls: number[][] = [];
    const steer = new XdpSteering({ steer: (op, set, addr, port) => void calls.push([op, set, addr, port]) });
    const fence = new Fence(() => ({ ok: true, error: '' }), steer);
    const sets = newSets();
    sets.owned.add('198.18.0.10');
    sets.local.add('198.18.0.1');
    sets.nat_tcp.add('198.19.0.2 . 80');
    fence.install(['eth0'], sets);
    expect(calls).toEqual([[STEER_CLEAR, 0, 0, 0], [STEER_ADD, 0, 0xc612000a, 0], [STEER_ADD, 1, 0xc6120001, 0], [STEER_ADD, 2, 0xc6130002, 80]]);
    calls.length = 0;
    const more = newSets();
    more.nat_udp.add('198.19.0.3 . 53');
    fence.add(more);
    fence.delete(more);
    expect(calls).toEqual([[STEER_ADD, 3, 0xc6130003, 53], [STEER_DELETE, 3, 0xc6130003, 53]]);
    calls.length = 0;
    fence.remove();
    expect(calls).toEqual([[STEER_CLEAR, 0, 0, 0]]);
  });

  it('leaves the maps alone when nft refuses the change (the kernel is fenced as before)', () => {
    const calls: number[][] = [];
    const fence = new Fence(() => ({ ok: false, error: 'no' }), new XdpSteering({ steer: (...a) => void calls.push(a) }));
    expect(() => fence.install(['eth0'], newSets())).toThrow(/cannot install/);
    expect(calls).toEqual([]);
  });
});

describe('XSK counters', () => {
  it('count kernel hand-over losses as ring drops and refused sends as errors, with the ARP tap\'s', () => {
    const s: XskStats = { rxDropped: 2, rxRingFull: 3, fillRingEmpty: 9, rxInvalid: 1, txInvalid: 4, txRingEmpty: 7, oversize: 5, txUnsent: 6, txErrors: 1, lastTxError: '', txKicks: 8 };
    const arp = { ringDrops: 1, truncated: 0, oversize: 0, txUnsent: 0, txErrors: 0 };
    expect(xskCounters([s, s], arp)).toEqual({ ringDrops: 11, truncated: 2, oversize: 10, txUnsent: 12, txErrors: 10, txWaits: 0 });
  });
});

const ROOT = process.getuid?.() === 0;
const xdp = ROOT ? loadXdp() : null;
const why = !ROOT ? 'needs root' : xdp?.addon ? '' : `AF_XDP not available: ${xdp?.reason}`;
if (why) console.log(`AfXdpPort over veth skipped: ${why}`);

describe.skipIf(!!why)(`AfXdpPort over veth${why ? ` [skipped: ${why}]` : ''}`, () => {
  let pair: VethPair;
  let steering: XdpSteering;
  beforeAll(() => {
    pair = vethPair();
    steering = new XdpSteering(xdp!.addon!);
    const sets = newSets();
    sets.owned.add('198.18.0.2'); // the contract's frames go there
    steering.install(sets);
  });
  afterAll(() => {
    steering?.clear();
    pair?.lab.cleanup();
  });

  describe('steering every frame', () => {
    beforeAll(() => steering.steerAll(true));
    afterAll(() => steering.steerAll(false));
    portContract('AF_XDP', () => vethHarness(pair, (ns) => new AfXdpPort(['p0', 'p1'], { netns: ns })), { vlan: false });

    // What a flood leaves in the ring while the data plane is descheduled: its RX ring
    // and fill ring hold 8,192 frames (2,048 before: the rest of such a burst was lost).
    it('holds a burst of 6,000 frames that nobody reads meanwhile, losing none', async () => {
      const port = new AfXdpPort(['p0', 'p1'], { netns: pair.p });
      const h = await vethHarness(pair, () => port);
      try {
        for (let i = 0; i < 6000; i++) h.inject(0, buildUdp({ src: 0xc6120001, dst: 0xc6120002, sport: 1 + (i >> 8), dport: i & 0xff, payload: new Uint8Array(20) }));
        await h.settle!();
        const b = new Batch(256);
        const ports = new Set<number>();
        for (let round = 0; round < 100; round++) {
          b.reset();
          const n = port.rx(b, b.capacity);
          if (n === 0) break;
          for (let i = 0; i < n; i++) {
            const f = b.frame(i);
            ports.add((f[35] << 8) | f[37]); // source and destination port, each below 256 here
          }
        }
        expect(ports.size).toBe(6000);
        expect(port.counters().ringDrops).toBe(0);
      } finally {
        port.close();
        h.dispose!();
      }
    });
  });

  it('attaches its program natively to veth, passes frames it does not steer, and detaches at close', async () => {
    const port = new AfXdpPort(['p0', 'p1'], { netns: pair.p });
    const h = await vethHarness(pair, () => port);
    try {
      expect(port.xdp.map((m) => m.mode)).toEqual(['native', 'native']);
      expect(spawnSync('ip', ['-n', pair.p, 'link', 'show', 'p0'], { encoding: 'utf8' }).stdout).toContain('tsvs_steer');
      h.inject(0, buildUdp({ src: 0xc6120001, dst: 0xc6120003, sport: 1, dport: 53, payload: new Uint8Array(20) }));
      h.inject(0, buildUdp({ src: 0xc6120001, dst: 0xc6120002, sport: 1, dport: 53, payload: new Uint8Array(20) }));
      await h.settle!();
      const b = new Batch(8);
      expect(port.rx(b, 8)).toBe(1);
      expect(b.frame(0)[33]).toBe(2); // the one to 198.18.0.2
      expect(port.counters()).toMatchObject({ ringDrops: 0, txErrors: 0 });
    } finally {
      port.close();
      h.dispose!();
    }
    expect(spawnSync('ip', ['-n', pair.p, 'link', 'show', 'p0'], { encoding: 'utf8' }).stdout).not.toContain('tsvs_steer');
  });

  it('says why it cannot open: no such device, and a device that has an XDP program already', () => {
    expect(() => new AfXdpPort(['nosuch0'], { netns: pair.p })).toThrow(/ENODEV/);
    const first = new AfXdpPort(['p0'], { netns: pair.p });
    try {
      expect(() => new AfXdpPort(['p0'], { netns: pair.p })).toThrow(/already has an XDP program/);
    } finally {
      first.close();
    }
  });
});
