// The scheduler names ipvsadm accepts (-s), in the kernel's spelling, and the
// scheduler flags (-b). Config validates against these; the registry maps the
// names that are implemented to their code.
export const IPVS_SCHEDULERS = [
  'rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'mh', 'fo', 'ovf', 'twos',
] as const;

export const IPVS_SCHED_FLAGS = ['sh-fallback', 'sh-port', 'mh-fallback', 'mh-port', 'flag-1', 'flag-2', 'flag-3'] as const;

export const DEFAULT_SCHEDULER = 'wlc';
