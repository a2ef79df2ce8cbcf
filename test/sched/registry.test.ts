import { describe, expect, it } from 'vitest';
import { schedFlagBits, SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3 } from '../../src/sched/names.js';
import { createScheduler } from '../../src/sched/registry.js';

describe('registry', () => {
  it('creates schedulers by ipvsadm name', () => {
    for (const n of ['rr', 'wrr', 'lc', 'wlc', 'sed', 'nq', 'lblc', 'lblcr', 'dh', 'sh', 'mh', 'fo', 'ovf', 'twos']) {
      expect(createScheduler(n).name).toBe(n);
    }
  });

  it('rejects unknown names', () => {
    expect(() => createScheduler('maglev')).toThrow(/unknown scheduler maglev/);
  });

  it('passes options through (mh table size)', () => {
    expect(() => createScheduler('mh', [], { mhTableSize: 1000 })).toThrow(/one of/);
  });

  it('maps -b flag names to the kernel service flag bits', () => {
    expect(schedFlagBits(['sh-fallback'])).toBe(SVC_F_SCHED1);
    expect(schedFlagBits(['mh-fallback', 'mh-port'])).toBe(SVC_F_SCHED1 | SVC_F_SCHED2);
    expect(schedFlagBits(['flag-2', 'flag-3'])).toBe(SVC_F_SCHED2 | SVC_F_SCHED3);
    expect(schedFlagBits([])).toBe(0);
    expect(SVC_F_SCHED1).toBe(0x0008);
    expect(SVC_F_SCHED2).toBe(0x0010);
  });
});
