// The behaviour every PacketPort must share, run against each backend (memory,
// AF_PACKET and libpcap over veth pairs). A backend supplies a harness that puts
// frames on its wire and shows what it sent.
//
// Order is promised per interface only: two interfaces are two kernel queues (two
// sockets), and nothing orders frames across them.
import { describe, expect, it } from 'vitest';
import { Batch, VERDICT_DROP, VERDICT_PASS, VERDICT_TX } from '../../src/frames/batch.js';
import type { PacketPort } from '../../src/frames/port.js';
import { buildUdp } from '../../src/packet/build.js';
import { frameOf, sameBytes } from './helpers.js';

export interface PortHarness {
  port: PacketPort;
  /** Makes `frame` arrive on interface `ifIndex` (by settle() at the latest). */
  inject(ifIndex: number, frame: Uint8Array): void;
  /** Frames sent on `ifIndex` since the last call. */
  takeSent(ifIndex: number): Uint8Array[];
  /** Waits until injected or sent frames have crossed the wire (real backends). */
  settle?(): Promise<void>;
  /** Releases what the harness opened besides the port. */
  dispose?(): void;
  /** Interfaces the harness can inject on and see sends from (two at least). */
  ifaces: [number, number];
}

/** Frames of `b` per interface, as copies. */
function byIface(b: Batch, from = 0): Map<number, Uint8Array[]> {
  const out = new Map<number, Uint8Array[]>();
  for (let i = from; i < b.count; i++) {
    const list = out.get(b.ifIn[i]) ?? [];
    list.push(b.frame(i).slice());
    out.set(b.ifIn[i], list);
  }
  return out;
}

const tagged = (tag: number, vlan: number) =>
  buildUdp({ src: 0xc6120001, dst: 0xc6120002, sport: 1000 + tag, dport: 53, vlan, payload: frameOf(40, tag) });

/** `vlan: false`: the backend cannot see 802.1Q tags (AF_XDP on veth: the tag is stripped into metadata XDP does not read). */
export function portContract(name: string, make: () => PortHarness | Promise<PortHarness>, opts: { vlan?: boolean } = {}): void {
  /** Runs `body` with a fresh harness, closing port and harness even when an expectation fails. */
  const withHarness = (body: (h: PortHarness) => Promise<void> | void) => async () => {
    const h = await make();
    try {
      await body(h);
    } finally {
      h.port.close();
      h.dispose?.();
    }
  };

  describe(`PacketPort contract: ${name}`, () => {
    it('returns 0 when nothing is waiting', withHarness(async (h) => {
      await h.settle?.();
      expect(h.port.rx(new Batch(4), 4)).toBe(0);
    }));

    it('receives frames in order per interface, with their interface, up to max, appending to the batch', withHarness(async (h) => {
      const [a, b] = h.ifaces;
      for (let i = 0; i < 5; i++) h.inject(i % 2 ? b : a, frameOf(60 + i, i));
      await h.settle?.();
      const batch = new Batch(8);
      batch.push(frameOf(14, 99), a); // already there: rx must append after it
      expect(h.port.rx(batch, 3)).toBe(3);
      expect(batch.count).toBe(4);
      expect(h.port.rx(batch, 8)).toBe(2);
      expect(h.port.rx(batch, 8)).toBe(0);
      expect(batch.count).toBe(6);
      expect(batch.frame(0)).toEqual(frameOf(14, 99));
      const got = byIface(batch, 1);
      expect(got.get(a)).toEqual([0, 2, 4].map((i) => frameOf(60 + i, i)));
      expect(got.get(b)).toEqual([1, 3].map((i) => frameOf(60 + i, i)));
      for (let i = 1; i < 6; i++) expect(batch.len[i]).toBe(batch.frame(i).length);
    }));

    it('sends only TX frames, on their ifOut, as rewritten', withHarness(async (h) => {
      const [a, b] = h.ifaces;
      const batch = new Batch(8);
      const verdicts = [VERDICT_TX, VERDICT_DROP, VERDICT_TX, VERDICT_PASS, VERDICT_TX];
      verdicts.forEach((v, i) => {
        batch.push(frameOf(64, i), a);
        batch.verdict[i] = v;
        batch.ifOut[i] = i === 2 ? b : a;
      });
      batch.buf[batch.off[4]] = 0xee; // the engine rewrites in place
      expect(h.port.tx(batch)).toBe(3);
      await h.settle?.();
      const onA = h.takeSent(a);
      const onB = h.takeSent(b);
      expect(onA.length).toBe(2);
      expect(onA[0]).toEqual(frameOf(64, 0));
      expect(onA[1][0]).toBe(0xee);
      expect(onB).toEqual([frameOf(64, 2)]);
    }));

    it('receives a burst bigger than a ring block in full, in order, over several batches', withHarness(async (h) => {
      const [a, b] = h.ifaces;
      const N = 1500;
      for (let i = 0; i < N; i++) h.inject(i % 3 ? a : b, frameOf(600 + (i % 7), i));
      await h.settle?.();
      const batch = new Batch(256); // 512 KiB of buffer: also bigger than a ring block
      const seen = new Map<number, Uint8Array[]>([[a, []], [b, []]]);
      for (let round = 0; round < 100; round++) {
        batch.reset();
        const n = h.port.rx(batch, batch.capacity);
        if (n === 0) break;
        for (const [k, list] of byIface(batch)) seen.get(k)!.push(...list);
      }
      const want = (k: number) => Array.from({ length: N }, (_, i) => i).filter((i) => (i % 3 ? a : b) === k);
      for (const k of [a, b]) {
        const got = seen.get(k)!;
        expect(got.length).toBe(want(k).length);
        want(k).forEach((i, j) => expect(sameBytes(got[j], frameOf(600 + (i % 7), i))).toBe('same'));
      }
    }));

    // The native addons keep what they read of a batch's views for the batches used
    // lately (native/napi-util.h): one batch after another, more of them than they
    // keep, each frame must still land in, and go out from, the batch it was given.
    it('receives into and sends from many batches in turn, each frame in its own batch', withHarness(async (h) => {
      const [a, b] = h.ifaces;
      const batches = Array.from({ length: 12 }, (_, k) => new Batch(2 + k, 2048 * (2 + k)));
      for (let r = 0; r < 16; r++) {
        const batch = batches[(r * 5) % batches.length];
        batch.reset();
        const frame = frameOf(64 + r, r);
        h.inject(a, frame);
        await h.settle?.();
        expect(h.port.rx(batch, batch.capacity)).toBe(1);
        expect(batch.frame(0)).toEqual(frame);
        batch.verdict[0] = VERDICT_TX;
        batch.ifOut[0] = b;
        expect(h.port.tx(batch)).toBe(1);
        await h.settle?.();
        expect(h.takeSent(b)).toEqual([frame]);
      }
    }));

    it.skipIf(opts.vlan === false)('passes 802.1Q-tagged frames with the tag in place, both ways', withHarness(async (h) => {
      const [a, b] = h.ifaces;
      h.inject(b, tagged(1, 0x0005));
      h.inject(b, tagged(2, 0xe00a)); // priority bits set
      await h.settle?.();
      const batch = new Batch(4);
      expect(h.port.rx(batch, 4)).toBe(2);
      expect(batch.frame(0)).toEqual(tagged(1, 0x0005));
      expect(batch.frame(1)).toEqual(tagged(2, 0xe00a));
      expect(batch.ifIn[0]).toBe(b);
      batch.verdict[0] = batch.verdict[1] = VERDICT_TX;
      batch.ifOut[0] = batch.ifOut[1] = a;
      expect(h.port.tx(batch)).toBe(2);
      await h.settle?.();
      expect(h.takeSent(a)).toEqual([tagged(1, 0x0005), tagged(2, 0xe00a)]);
    }));
  });
}
