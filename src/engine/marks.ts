// Firewall-mark classification. The kernel sets marks (iptables -t mangle -A
// PREROUTING ... -j MARK --set-mark N) after AF_PACKET has seen a frame, so tsvs
// computes the mark itself from the table's rules; a service with fwmark = N
// (ipvsadm -A -f N) then takes the packet (ip_vs_service_find tries marks first).
//
// MARK is not a terminating target: every matching rule sets the mark in turn, so
// the last matching rule decides. The rules are compiled once per table into one
// group per protocol (TCP: tcp + all rules; UDP: udp + all; any other protocol:
// `all` rules without a port range), each a set of typed arrays in rule order,
// scanned from the end: the first match found is the last rule that matches.
//
// The engine calls classify() only when the connection lookup misses (a new flow),
// but it still allocates nothing and keeps addresses int32: a uint32 above 2^31
// handed to a non-inlined call would box a heap number.
import { PROTO_TCP, PROTO_UDP, prefixToMask, type MarkRule } from '../model/index.js';
import { ipv6Words } from '../packet/ipv6.js';

const ANY_LO = 0;
const ANY_HI = 65535;

class RuleGroup {
  readonly n: number;
  /** Network address & mask, as int32. */
  readonly net: Int32Array;
  readonly mask: Int32Array;
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  /** Marks are 1..2^32-1. */
  readonly mark: Uint32Array;

  constructor(rules: readonly MarkRule[]) {
    const n = (this.n = rules.length);
    this.net = new Int32Array(n);
    this.mask = new Int32Array(n);
    this.lo = new Int32Array(n);
    this.hi = new Int32Array(n);
    this.mark = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const r = rules[i];
      const mask = prefixToMask(r.prefixLen) | 0;
      this.mask[i] = mask;
      this.net[i] = r.address & mask;
      this.lo[i] = r.portLo;
      this.hi[i] = r.portHi;
      this.mark[i] = r.mark;
    }
  }

  /** The mark of the last rule that matches, or 0. `daddr` is int32. */
  match(daddr: number, dport: number): number {
    const { net, mask, lo, hi } = this;
    for (let i = this.n - 1; i >= 0; i--) {
      if ((daddr & mask[i]) === net[i] && dport >= lo[i] && dport <= hi[i]) return this.mark[i];
    }
    return 0;
  }
}

/** The same for ip6tables rules: 4 words of network and mask per rule. */
class RuleGroup6 {
  readonly n: number;
  readonly net: Int32Array;
  readonly mask: Int32Array;
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly mark: Uint32Array;

  constructor(rules: readonly MarkRule[]) {
    const n = (this.n = rules.length);
    this.net = new Int32Array(4 * n);
    this.mask = new Int32Array(4 * n);
    this.lo = new Int32Array(n);
    this.hi = new Int32Array(n);
    this.mark = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const r = rules[i];
      const w = ipv6Words(r.address6!);
      for (let k = 0, left = r.prefixLen; k < 4; k++, left -= 32) {
        const m = left >= 32 ? -1 : left <= 0 ? 0 : ~(-1 >>> left);
        this.mask[4 * i + k] = m;
        this.net[4 * i + k] = w[k] & m;
      }
      this.lo[i] = r.portLo;
      this.hi[i] = r.portHi;
      this.mark[i] = r.mark;
    }
  }

  /** The mark of the last rule that matches the address at a[o..o+3], or 0. */
  match(a: Int32Array, o: number, dport: number): number {
    const { net, mask, lo, hi } = this;
    for (let i = this.n - 1; i >= 0; i--) {
      const w = 4 * i;
      if (dport >= lo[i] && dport <= hi[i] && (a[o] & mask[w]) === net[w] && (a[o + 1] & mask[w + 1]) === net[w + 1] &&
        (a[o + 2] & mask[w + 2]) === net[w + 2] && (a[o + 3] & mask[w + 3]) === net[w + 3]) return this.mark[i];
    }
    return 0;
  }
}

/** Rules of one protocol group: TCP (tcp + all), UDP (udp + all), others (all without ports). */
function groups(rules: readonly MarkRule[]): [MarkRule[], MarkRule[], MarkRule[]] {
  return [
    rules.filter((r) => r.protocol === 'tcp' || r.protocol === 'all'),
    rules.filter((r) => r.protocol === 'udp' || r.protocol === 'all'),
    // A port range implies a protocol with ports, as iptables' --dport needs -p tcp|udp.
    rules.filter((r) => r.protocol === 'all' && r.portLo === ANY_LO && r.portHi === ANY_HI),
  ];
}

export class MarkClassifier {
  private readonly tcp: RuleGroup;
  private readonly udp: RuleGroup;
  private readonly other: RuleGroup;
  /** ip6tables rules (MarkRule.address6), for IPv6 flows. */
  private readonly tcp6: RuleGroup6;
  private readonly udp6: RuleGroup6;
  private readonly other6: RuleGroup6;

  constructor(readonly rules: readonly MarkRule[]) {
    const [tcp, udp, other] = groups(rules.filter((r) => r.address6 === undefined));
    this.tcp = new RuleGroup(tcp);
    this.udp = new RuleGroup(udp);
    this.other = new RuleGroup(other);
    const [tcp6, udp6, other6] = groups(rules.filter((r) => r.address6 !== undefined));
    this.tcp6 = new RuleGroup6(tcp6);
    this.udp6 = new RuleGroup6(udp6);
    this.other6 = new RuleGroup6(other6);
  }

  /** The firewall mark of a new flow (protocol number, destination address and port); 0 = no mark. */
  classify(proto: number, daddr: number, dport: number): number {
    const group = proto === PROTO_TCP ? this.tcp : proto === PROTO_UDP ? this.udp : this.other;
    return group.n === 0 ? 0 : group.match(daddr | 0, dport);
  }

  /** classify() for an IPv6 flow, its destination at a[o..o+3]. */
  classify6(proto: number, a: Int32Array, o: number, dport: number): number {
    const group = proto === PROTO_TCP ? this.tcp6 : proto === PROTO_UDP ? this.udp6 : this.other6;
    return group.n === 0 ? 0 : group.match(a, o, dport);
  }
}
