// Prometheus histograms from the data plane's cumulative buckets. prom-client's
// Histogram can only observe() values one at a time: it cannot be handed
// buckets, a sum and a count that were counted elsewhere (in the data-plane
// worker), so these families are written here, in the same text format
// (version 0.0.4) as the rest of the registry:
//
//   # TYPE name histogram
//   name_bucket{le="<bound>"} <cumulative count>   ... ascending
//   name_bucket{le="+Inf"} <count>
//   name_sum <sum>
//   name_count <count>
import type { Histogram } from './types.js';

/** A sample value as the text format writes it (Go's ParseFloat reads JS's shortest form back). */
export function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  return String(v);
}

/**
 * One histogram family. `divisor` converts the bounds and sum to the unit the
 * name says (1e6 turns microseconds into the seconds Prometheus names use);
 * a division keeps 3 µs as 0.000003 where a multiplication by 1e-6 would not.
 */
export function histogramText(name: string, help: string, h: Histogram, divisor = 1): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
  h.le.forEach((le, i) => {
    // The +Inf bucket is written from count, whether or not le lists it.
    if (Number.isFinite(le)) lines.push(`${name}_bucket{le="${formatValue(le / divisor)}"} ${formatValue(h.counts[i])}`);
  });
  lines.push(`${name}_bucket{le="+Inf"} ${formatValue(h.count)}`, `${name}_sum ${formatValue(h.sum / divisor)}`, `${name}_count ${formatValue(h.count)}`);
  return lines.join('\n');
}
