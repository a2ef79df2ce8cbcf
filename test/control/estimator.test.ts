// The estimator against hand-computed sequences from ip_vs_est.c's formulas,
// and against an independent reference written as the C is (64-bit integers,
// shifts), for counters past 2^32.
import { describe, expect, it } from 'vitest';
import { ESTIMATION_PERIOD_MS, Estimator } from '../../src/control/estimator.js';
import type { StatsView } from '../../src/control/types.js';

const stats = (conns: number, inPkts = 0, outPkts = 0, inBytes = 0, outBytes = 0): StatsView => ({ conns, inPkts, outPkts, inBytes, outBytes });

/** One period per call: the given keys' counters, read at the same moment. */
function period(est: Estimator, feed: Record<string, StatsView>): void {
  for (const [k, s] of Object.entries(feed)) est.sample(k, s);
  est.endPeriod();
}

describe('Estimator: the kernel estimator, period by period', () => {
  it('1000 connections a second converge to 1000 by the exact steps of e->cps += (rate - cps) >> 2', () => {
    const est = new Estimator();
    period(est, { svc: stats(0) });
    const cps: number[] = [];
    for (let p = 1; p <= 27; p++) {
      period(est, { svc: stats(2000 * p) });
      cps.push(est.read('svc').cps);
    }
    // rate = 2000 << 9 = 1024000. Scaled averages: 256000, 448000, 592000,
    // 700000, 781000, 841750, 887312 (182250 >> 2 = 45562), 921484 ...; read
    // as (cps + 0x1FF) >> 10. 448000 / 1024 = 437.5 reads 437: 0x1FF rounds halves down.
    expect(cps.slice(0, 8)).toEqual([250, 437, 578, 684, 763, 822, 867, 900]);
    expect(cps.slice(20, 27)).toEqual([998, 998, 999, 999, 999, 999, 1000]);
  });

  it('a step down to nothing decays by a quarter of the average each period', () => {
    const est = new Estimator();
    period(est, { svc: stats(0) });
    for (let p = 1; p <= 40; p++) period(est, { svc: stats(2000 * p) });
    // After 40 periods the scaled average is 1023988 (reads 1000).
    expect(est.read('svc').cps).toBe(1000);
    const after: number[] = [];
    for (let p = 0; p < 4; p++) {
      period(est, { svc: stats(80000) });
      after.push(est.read('svc').cps);
    }
    // 1023988 - 255997 = 767991 (750), 575993 (562), 431994 (422), 323995 (316).
    expect(after).toEqual([750, 562, 422, 316]);
  });

  it('>> 2 of a negative difference floors: an average decays to 0, not to 3', () => {
    const est = new Estimator();
    period(est, { k: stats(0, 0) });
    period(est, { k: stats(0, 1024) }); // rate 1024 << 9, inpps 131072 (reads 128)
    const reads: number[] = [];
    for (let p = 0; p < 8; p++) {
      period(est, { k: stats(0, 1024) });
      reads.push(est.read('k').inPps);
    }
    // 98304 (96), 73728 (72), 55296 (54), 41472 (40.5 reads 40), 31104 (30.4
    // reads 30), 23328 (22.8 reads 23), 17496 (17.1 reads 17), 13122 (12.8 reads 13).
    expect(reads).toEqual([96, 72, 54, 40, 30, 23, 17, 13]);
    // One connection, then none: 128 96 72 54 40 30 22 16 12 9 6 4 3 2 1 0.
    // A truncating division stops at 3 (trunc(-3 / 4) = 0), which reads as 0
    // too; the reference test below is where a wrong rounding shows in reads.
    const one = new Estimator();
    period(one, { s: stats(0) });
    period(one, { s: stats(1) });
    for (let p = 0; p < 15; p++) period(one, { s: stats(1) });
    expect(scaledCps(one, 's')).toBe(0);
  });

  it('byte rates are scaled by 2^5: 1 MB/s in, 250 kB/s out', () => {
    const est = new Estimator();
    period(est, { svc: stats(0, 0, 0, 0, 0) });
    const seen: Array<[number, number]> = [];
    for (let p = 1; p <= 60; p++) {
      period(est, { svc: stats(0, 0, 0, 2_000_000 * p, 500_000 * p) });
      const r = est.read('svc');
      seen.push([r.inBps, r.outBps]);
    }
    // rate = 2e6 << 4 = 32e6: inbps 8e6 (250000), 14e6 (437500), 18.5e6 (578125).
    expect(seen.slice(0, 3)).toEqual([
      [250000, 62500],
      [437500, 109375],
      [578125, 144531],
    ]);
    // A minute in, the finer byte scale still shows the gap (32e6 - 31994284 >> 5);
    // two minutes in it reads the rate exactly.
    expect(seen[29]).toEqual([999821, 249955]);
    expect(seen[59]).toEqual([1_000_000, 250_000]);
  });

  it('packet rates in and out are separate averages', () => {
    const est = new Estimator();
    period(est, { svc: stats(0) });
    period(est, { svc: stats(0, 8000, 4000) });
    expect(est.read('svc')).toEqual({ cps: 0, inPps: 1000, outPps: 500, inBps: 0, outBps: 0 });
  });

  it('zero: the counters now are the base and every average is 0 (ip_vs_zero_estimator)', () => {
    const est = new Estimator();
    period(est, { svc: stats(0, 0, 0, 0, 0) });
    period(est, { svc: stats(2000, 2000, 2000, 2000, 2000) });
    expect(est.read('svc').cps).toBe(250);
    est.zero('svc', stats(2000, 2000, 2000, 2000, 2000));
    expect(est.read('svc')).toEqual({ cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 });
    // The next period counts only what came after the zero.
    period(est, { svc: stats(2200, 2000, 2000, 2000, 2000) });
    expect(est.read('svc').cps).toBe(25); // 200 << 9 >> 2 = 25600, + 511 >> 10
  });

  it('a key not fed in a period is forgotten; when it returns it starts afresh', () => {
    const est = new Estimator();
    period(est, { a: stats(0), b: stats(0) });
    period(est, { a: stats(2000), b: stats(2000) });
    expect(est.read('b').cps).toBe(250);
    period(est, { a: stats(4000) }); // b removed
    expect([...est.keys()]).toEqual(['a']);
    expect(est.read('b').cps).toBe(0);
    // b comes back with counters of its own, or the old ones: either way its
    // first period only records them, and rates start from 0.
    period(est, { a: stats(6000), b: stats(9000) });
    expect(est.read('b').cps).toBe(0);
    period(est, { a: stats(8000), b: stats(11000) });
    expect(est.read('b').cps).toBe(250);
    expect(est.read('a').cps).toBe(684); // a kept its history: 4 periods in
  });

  it('counters that go backwards start the key afresh instead of a negative rate', () => {
    const est = new Estimator();
    period(est, { s: stats(0) });
    period(est, { s: stats(2000) });
    period(est, { s: stats(10) });
    expect(est.read('s').cps).toBe(0);
    period(est, { s: stats(2010) });
    expect(est.read('s').cps).toBe(250);
  });

  it('a key first seen with counters already running reports no rate for its past', () => {
    const est = new Estimator();
    period(est, { s: stats(5_000_000, 9e9, 9e9, 2 ** 45, 2 ** 45) });
    expect(est.read('s')).toEqual({ cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 });
  });
});

describe('Estimator.tick: the 2-second timer with the clock injected', () => {
  it('runs a period when 2 s have passed since the last one ran, never two to catch up', () => {
    const est = new Estimator();
    let conns = 0;
    let reads = 0;
    const read = () => {
      reads++;
      return [['s', stats(conns)] as const];
    };
    expect(est.tick(10_000, read)).toBe(true); // starts the clock, records the base
    conns = 2000;
    expect(est.tick(10_000 + ESTIMATION_PERIOD_MS - 1, read)).toBe(false);
    expect(est.tick(12_000, read)).toBe(true);
    expect(est.read('s').cps).toBe(250);
    conns = 4000;
    // Late by 5 s: one period, and the next is due 2 s after this one.
    expect(est.tick(19_000, read)).toBe(true);
    expect(est.tick(20_999, read)).toBe(false);
    expect(est.read('s').cps).toBe(437);
    expect(est.tick(21_000, read)).toBe(true); // nothing new: 448000 - 112000
    expect(reads).toBe(4);
    expect(est.read('s').cps).toBe(328);
  });
});

/** The C as written: u64 counters, s64 differences, >> as an arithmetic shift. */
class Reference {
  last = [0n, 0n, 0n, 0n, 0n];
  avg = [0n, 0n, 0n, 0n, 0n];
  feed(c: bigint[]): void {
    for (let i = 0; i < 5; i++) {
      const rate = (c[i] - this.last[i]) << (i < 3 ? 9n : 4n);
      this.last[i] = c[i];
      this.avg[i] += (rate - this.avg[i]) >> 2n; // BigInt >> is arithmetic
    }
  }
  read(): number[] {
    return this.avg.map((a, i) => Number(i < 3 ? (a + 0x1ffn) >> 10n : (a + 0xfn) >> 5n));
  }
}

/** The scaled average itself, which reads cannot show below 512. */
function scaledCps(est: Estimator, key: string): number {
  return (est as unknown as { ests: Map<string, { cps: number }> }).ests.get(key)!.cps;
}

describe('Estimator against the reference, counters past 2^32', () => {
  it('agrees period by period over irregular traffic', () => {
    const est = new Estimator();
    const ref = new Reference();
    // A fixed LCG, so the sequence is the same every run.
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let c = [2 ** 33 + 7, 2 ** 36, 2 ** 36 + 5, 2 ** 45, 2 ** 44];
    est.sample('k', stats(c[0], c[1], c[2], c[3], c[4]));
    est.endPeriod();
    ref.last = c.map(BigInt);
    for (let p = 0; p < 300; p++) {
      const burst = p % 50 < 25 ? 1 : 0; // bursts and silences, so averages rise and decay
      c = c.map((v, i) => v + burst * rnd(i < 3 ? 3_000_000 : 2_000_000_000));
      est.sample('k', stats(c[0], c[1], c[2], c[3], c[4]));
      est.endPeriod();
      ref.feed(c.map(BigInt));
      const r = est.read('k');
      expect([r.cps, r.inPps, r.outPps, r.inBps, r.outBps]).toEqual(ref.read());
    }
  });
});
