// Schedulers by their ipvsadm name. The names IPVS knows but tsvs does not
// implement yet are rejected with a clear message when a table is applied.
import { IPVS_SCHEDULERS } from './names.js';
import { RoundRobin } from './rr.js';
import type { Scheduler, SchedulerFactory } from './types.js';
import { WeightedLeastConnection } from './wlc.js';

const registry = new Map<string, SchedulerFactory>([
  ['rr', () => new RoundRobin()],
  ['wlc', () => new WeightedLeastConnection()],
]);

export function implementedSchedulers(): string[] {
  return [...registry.keys()];
}

export function createScheduler(name: string, flags: readonly string[] = []): Scheduler {
  const make = registry.get(name);
  if (make) return make(flags);
  if ((IPVS_SCHEDULERS as readonly string[]).includes(name)) {
    throw new Error(`scheduler ${name} is an IPVS scheduler that tsvs does not implement yet (implemented: ${implementedSchedulers().join(', ')})`);
  }
  throw new Error(`unknown scheduler ${name} (IPVS schedulers: ${IPVS_SCHEDULERS.join(', ')})`);
}
