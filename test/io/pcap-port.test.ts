// The libpcap fallback over the same veth pairs as the native backend (root only).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Batch } from '../../src/frames/batch.js';
import { openLivePort } from '../../src/io/open.js';
import { PcapPort, loadPcap } from '../../src/io/pcap-port.js';
import { AfPacketPort } from '../../src/io/afpacket.js';
import { isRoot } from '../../bench/io/netns.js';
import { frameOf } from './helpers.js';
import { portContract } from './port-contract.js';
import { vethHarness, vethPair, type VethPair } from './veth-harness.js';

const ROOT = isRoot();
const SKIP = ROOT ? '' : ' [skipped: needs root for network namespaces and packet capture]';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!ROOT)(`PcapPort over veth${SKIP}`, () => {
  let pair: VethPair;
  const quiet = { warn: () => {} };
  beforeAll(() => {
    loadPcap(); // fails here, clearly, when the package is not built
    pair = vethPair();
  });
  afterAll(() => pair?.lab.cleanup());

  portContract('libpcap (pcap package)', () => vethHarness(pair, (ns) => new PcapPort(['p0', 'p1'], { netns: ns, ...quiet }), true));

  it('warns when offloads are on, naming them and the ethtool command; not when they are off', () => {
    const warnings: string[] = [];
    const on = new PcapPort(['p0'], { netns: pair.p, warn: (m) => warnings.push(m) });
    on.close();
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toMatch(/offloads are on for p0 \(.*tcp-segmentation-offload.*\)/);
    expect(warnings[0]).toContain('ethtool -K p0 tso off gso off gro off tx off rx off');
    pair.lab.offloads(pair.p, 'p1', false);
    try {
      const off = new PcapPort(['p1'], { netns: pair.p, warn: (m) => warnings.push(m) });
      off.close();
      expect(off.warnings).toEqual([]);
    } finally {
      pair.lab.offloads(pair.p, 'p1', true);
    }
  });

  it('openLivePort falls back to it, saying why, when the addon is missing; prefers the addon otherwise', () => {
    const notes: string[] = [];
    const p = openLivePort(['p0'], { netns: pair.p, load: { addon: null, reason: 'not built: x is missing' }, warn: (m) => notes.push(m) });
    p.close();
    expect(p).toBeInstanceOf(PcapPort);
    expect(notes[0]).toBe('native AF_PACKET backend not available (not built: x is missing); using the pcap backend');
    const q = openLivePort(['p0'], { netns: pair.p, warn: (m) => notes.push(m) });
    q.close();
    expect(q).toBeInstanceOf(AfPacketPort);
  });

  it('direction "mac" takes frames for its MAC, broadcast and multicast, not its own sends, and loses no first block', async () => {
    const h = await vethHarness(pair, (ns) => new PcapPort(['p0', 'p1'], { netns: ns, direction: 'mac', ...quiet }));
    try {
      const mine = pair.lab.mac(pair.p, 'p0').split(':').map((x) => parseInt(x, 16));
      const to = (dst: number[], tag: number) => {
        const f = frameOf(70, tag);
        f.set(dst, 0);
        f.set([2, 0, 0, 0, 0, 9], 6);
        return f;
      };
      h.inject(0, to(mine, 1));
      h.inject(0, to([2, 0, 0, 0, 0, 7], 2)); // someone else's: filtered out
      h.inject(0, to([255, 255, 255, 255, 255, 255], 3));
      h.inject(0, to([1, 0, 0x5e, 0, 0, 1], 4));
      await h.settle!();
      const b = new Batch(8);
      expect(h.port.rx(b, 8)).toBe(3);
      expect([b.frame(0), b.frame(1), b.frame(2)]).toEqual([to(mine, 1), to([255, 255, 255, 255, 255, 255], 3), to([1, 0, 0x5e, 0, 0, 1], 4)]);
      // Its own broadcast (source = its MAC) does not come back.
      b.reset();
      const own = to([255, 255, 255, 255, 255, 255], 5);
      own.set(mine, 6);
      b.push(own, 0);
      b.verdict[0] = 1;
      expect(h.port.tx(b)).toBe(1);
      await h.settle!();
      b.reset();
      expect(h.port.rx(b, 8)).toBe(0);
      expect(h.takeSent(0)).toEqual([own]);
    } finally {
      h.port.close();
      h.dispose!();
    }
  });

  it('opening a nonexistent device throws a clear error', () => {
    expect(() => new PcapPort(['p0', 'eth7'], { netns: pair.p, ...quiet })).toThrow(expect.objectContaining({ code: 'ENODEV', message: 'pcap: cannot open eth7: ENODEV: no such device eth7' }));
  });

  it('does not receive its own sends (inbound filter), and wakes onReadable per burst', async () => {
    const h = await vethHarness(pair, (ns) => new PcapPort(['p0', 'p1'], { netns: ns, ...quiet }), true);
    const port = h.port as PcapPort;
    try {
      let got = 0;
      const b = new Batch(64);
      port.onReadable(() => {
        b.reset();
        got += port.rx(b, 64);
      });
      for (let i = 0; i < 20; i++) h.inject(0, frameOf(80, i));
      await h.settle!();
      await sleep(20);
      expect(got).toBe(20);
      // Send on p1: the peer sees it, the port does not read it back.
      const out = new Batch(4);
      out.push(frameOf(90, 1), 0);
      out.verdict[0] = 1;
      out.ifOut[0] = 1;
      expect(port.tx(out)).toBe(1);
      await h.settle!();
      expect(h.takeSent(1)).toEqual([frameOf(90, 1)]);
      expect(got).toBe(20);
    } finally {
      h.port.close();
      h.dispose!();
    }
  });

  it('counts an over-MTU inject as a send error, sends the rest', async () => {
    const h = await vethHarness(pair, (ns) => new PcapPort(['p0', 'p1'], { netns: ns, ...quiet }), true);
    const port = h.port as PcapPort;
    try {
      const b = new Batch(4, 16384);
      b.push(frameOf(100, 1), 0);
      b.push(frameOf(9000, 2), 0);
      b.push(frameOf(100, 3), 0);
      for (let i = 0; i < 3; i++) b.verdict[i] = 1;
      expect(port.tx(b)).toBe(2);
      expect(port.txErrors).toBe(1);
      await h.settle!();
      expect(h.takeSent(0)).toEqual([frameOf(100, 1), frameOf(100, 3)]);
    } finally {
      h.port.close();
      h.dispose!();
    }
  });
});
