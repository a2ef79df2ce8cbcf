// Schedulers by their ipvsadm name. Flags are ipvsadm's -b names, turned into
// the service flag bits the kernel sees; options carry kernel build options,
// sysctls and test hooks (types.ts SchedulerOptions).
import { DestinationHashing } from './dh.js';
import { WeightedFailover } from './fo.js';
import { LocalityLeastConnection } from './lblc.js';
import { LocalityLeastConnectionReplicated } from './lblcr.js';
import { LeastConnection } from './lc.js';
import { MaglevHashing } from './mh.js';
import { IPVS_SCHEDULERS, schedFlagBits } from './names.js';
import { NeverQueue } from './nq.js';
import { Overflow } from './ovf.js';
import { RoundRobin } from './rr.js';
import { ShortestExpectedDelay } from './sed.js';
import { SourceHashing } from './sh.js';
import { TwoChoices } from './twos.js';
import type { Scheduler, SchedulerFactory, SchedulerOptions } from './types.js';
import { WeightedLeastConnection } from './wlc.js';
import { WeightedRoundRobin } from './wrr.js';

const registry = new Map<string, SchedulerFactory>([
  ['rr', () => new RoundRobin()],
  ['wrr', () => new WeightedRoundRobin()],
  ['lc', (_f, o) => new LeastConnection(o.indexMin)],
  ['wlc', (_f, o) => new WeightedLeastConnection(o.indexMin)],
  ['sed', (_f, o) => new ShortestExpectedDelay(o.indexMin)],
  ['nq', (_f, o) => new NeverQueue(o.indexMin)],
  ['lblc', (_f, o) => new LocalityLeastConnection({ expirationMs: o.lblcExpirationMs, legacyHash: o.legacyHash, indexMin: o.indexMin })],
  ['lblcr', (_f, o) => new LocalityLeastConnectionReplicated({ expirationMs: o.lblcrExpirationMs, legacyHash: o.legacyHash, indexMin: o.indexMin })],
  ['dh', (_f, o) => new DestinationHashing(o.legacyHash)],
  ['sh', (f, o) => new SourceHashing(schedFlagBits(f), o.legacyHash)],
  ['mh', (f, o) => new MaglevHashing(schedFlagBits(f), o.mhTableSize)],
  ['fo', (_f, o) => new WeightedFailover(o.indexMin)],
  ['ovf', (_f, o) => new Overflow(o.indexMin)],
  ['twos', (_f, o) => new TwoChoices(o.random, o.indexMin)],
]);

export function implementedSchedulers(): string[] {
  return [...registry.keys()];
}

export function createScheduler(name: string, flags: readonly string[] = [], opts: SchedulerOptions = {}): Scheduler {
  const make = registry.get(name);
  if (make) return make(flags, opts);
  if ((IPVS_SCHEDULERS as readonly string[]).includes(name)) {
    throw new Error(`scheduler ${name} is an IPVS scheduler that tsvs does not implement yet (implemented: ${implementedSchedulers().join(', ')})`);
  }
  throw new Error(`unknown scheduler ${name} (IPVS schedulers: ${IPVS_SCHEDULERS.join(', ')})`);
}
