// ipvs_sort_services() and ipvs_sort_dests() (libipvs.c): qsort with
// ipvs_cmp_services / ipvs_cmp_dests. Two C details are kept because they
// decide the order ipvsadm prints:
//   - the comparators subtract unsigned 32-bit values into an int, so two
//     addresses more than 2^31 apart compare the wrong way round: 10.0.0.1
//     sorts AFTER 192.168.0.1 (0x0a000001 - 0xc0a80001 wraps to a positive int);
//   - with such a comparator the result depends on the sort algorithm, so this
//     is the algorithm of glibc's qsort (msort.c, which glibc uses whenever it
//     can allocate the scratch space): a top-down merge sort, first half
//     first, taking from the left run while cmp <= 0.
import type { ServerView, ServiceView } from '../../control/types.js';
import { ipv6Words } from '../../model/index.js';

const PROTO_NUMBER: Record<string, number> = { tcp: 6, udp: 17, sctp: 132 };

/** (int)(a - b) for unsigned 32-bit a and b. */
const wrapDiff = (a: number, b: number): number => (a - b) | 0;

/** Dotted quad to an unsigned 32-bit number. */
export function ipv4Number(text: string): number {
  const p = text.split('.').map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

/** AF_INET and AF_INET6 as the comparator subtracts them: IPv4 services sort first. */
const AF_INET = 2;
const AF_INET6 = 10;

/**
 * The address part of ipvs_cmp_services / ipvs_cmp_dests: one wrapped
 * difference for IPv4; for IPv6 the first non-zero of the four 32-bit words'
 * wrapped differences (ntohl(s6_addr32[i]) subtracted in turn).
 */
function cmpAddr(a: string, b: string): number {
  if (!a.includes(':') || !b.includes(':')) return wrapDiff(ipv4Number(a), ipv4Number(b));
  const wa = ipv6Words(a);
  const wb = ipv6Words(b);
  let r = 0;
  for (let i = 0; r === 0 && i < 4; i++) r = wrapDiff(wa[i] >>> 0, wb[i] >>> 0);
  return r;
}

export function cmpServices(a: ServiceView, b: ServiceView): number {
  return (
    wrapDiff(a.fwmark, b.fwmark) ||
    (a.ipv6 ? AF_INET6 : AF_INET) - (b.ipv6 ? AF_INET6 : AF_INET) ||
    PROTO_NUMBER[a.protocol] - PROTO_NUMBER[b.protocol] ||
    cmpAddr(a.address, b.address) ||
    a.port - b.port
  );
}

export function cmpDests(a: ServerView, b: ServerView): number {
  return cmpAddr(a.address, b.address) || a.port - b.port;
}

/** glibc msort_with_tmp(): returns a sorted copy. */
export function qsort<T>(items: readonly T[], cmp: (a: T, b: T) => number): T[] {
  if (items.length <= 1) return [...items];
  const n1 = Math.trunc(items.length / 2);
  const left = qsort(items.slice(0, n1), cmp);
  const right = qsort(items.slice(n1), cmp);
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) out.push(cmp(left[i], right[j]) <= 0 ? left[i++] : right[j++]);
  return out.concat(left.slice(i), right.slice(j));
}
