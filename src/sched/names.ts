// The scheduler names ipvsadm accepts (-s), in the kernel's spelling, and the
// scheduler flags (-b). Config validates against these; the registry maps the
// names that are implemented to their code.
export const IPVS_SCHEDULERS = [
  'rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'mh', 'fo', 'ovf', 'twos',
] as const;

export const IPVS_SCHED_FLAGS = ['sh-fallback', 'sh-port', 'mh-fallback', 'mh-port', 'flag-1', 'flag-2', 'flag-3'] as const;

export const DEFAULT_SCHEDULER = 'wlc';

/** IP_VS_SVC_F_SCHED1 (0x0008): sh-fallback, mh-fallback, flag-1 (uapi ip_vs.h). */
export const SVC_F_SCHED1 = 0x0008;
/** IP_VS_SVC_F_SCHED2 (0x0010): sh-port, mh-port, flag-2. */
export const SVC_F_SCHED2 = 0x0010;
/** IP_VS_SVC_F_SCHED3 (0x0020): flag-3, unused by every scheduler. */
export const SVC_F_SCHED3 = 0x0020;

/**
 * The service flag bits ipvsadm sends for -b names: the kernel sees bits, not
 * names, so "flag-1" and "sh-fallback" mean the same to sh (ipvsadm's
 * parse_sched_flags). Unknown names add nothing; config validates names.
 */
export function schedFlagBits(flags: readonly string[]): number {
  let bits = 0;
  for (const f of flags) {
    if (f === 'sh-fallback' || f === 'mh-fallback' || f === 'flag-1') bits |= SVC_F_SCHED1;
    else if (f === 'sh-port' || f === 'mh-port' || f === 'flag-2') bits |= SVC_F_SCHED2;
    else if (f === 'flag-3') bits |= SVC_F_SCHED3;
  }
  return bits;
}
