// The behaviour every PacketPort must share, run against each backend (memory now;
// AF_PACKET and libpcap over a veth pair later). A backend supplies a harness that
// puts frames on its wire and shows what it sent.
import { describe, expect, it } from 'vitest';
import { Batch, VERDICT_DROP, VERDICT_PASS, VERDICT_TX } from '../../src/engine/batch.js';
import type { PacketPort } from '../../src/io/port.js';
import { frameOf } from './helpers.js';

export interface PortHarness {
  port: PacketPort;
  /** Makes `frame` arrive on interface `ifIndex`. */
  inject(ifIndex: number, frame: Uint8Array): void;
  /** Frames sent on `ifIndex` since the last call. */
  takeSent(ifIndex: number): Uint8Array[];
  /** Waits until injected or sent frames have crossed the wire (real backends). */
  settle?(): Promise<void>;
  /** Interfaces the harness can inject on and see sends from (two at least). */
  ifaces: [number, number];
}

export function portContract(name: string, make: () => PortHarness | Promise<PortHarness>): void {
  describe(`PacketPort contract: ${name}`, () => {
    it('returns 0 when nothing is waiting', async () => {
      const h = await make();
      expect(h.port.rx(new Batch(4), 4)).toBe(0);
      h.port.close();
    });

    it('receives frames in order with their interface, up to max, appending to the batch', async () => {
      const h = await make();
      const [a, b] = h.ifaces;
      for (let i = 0; i < 5; i++) h.inject(i % 2 ? b : a, frameOf(60 + i, i));
      await h.settle?.();
      const batch = new Batch(8);
      batch.push(frameOf(14, 99), a); // already there: rx must append after it
      expect(h.port.rx(batch, 3)).toBe(3);
      expect(h.port.rx(batch, 8)).toBe(2);
      expect(batch.count).toBe(6);
      expect(batch.frame(0)).toEqual(frameOf(14, 99));
      for (let i = 0; i < 5; i++) {
        expect(batch.frame(i + 1)).toEqual(frameOf(60 + i, i));
        expect(batch.ifIn[i + 1]).toBe(i % 2 ? b : a);
      }
      h.port.close();
    });

    it('sends only TX frames, on their ifOut, as rewritten', async () => {
      const h = await make();
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
      h.port.close();
    });
  });
}
