// Fences the router's kernel off the flows tsvs handles, as DESIGN.md asks: an
// nftables table of its own with a netdev ingress chain per device. AF_PACKET's
// tap sees frames before the ingress hook, so tsvs still gets them; the kernel
// does not: it cannot answer ARP for a VIP, reset a connection to it, or forward
// a real server's untranslated reply (even with ip_forward on). The table is
// created at start, removed at exit, and a leftover one (a crash) is replaced.
//
// What is fenced lives in nftables sets (owned addresses, NAT real servers by
// address and port), so the kernel matches a frame with a hash lookup however many
// real servers there are, and a change of the table is a few set elements added
// or deleted in one nft transaction, not a new ruleset.
//
// IPv6 has sets of its own beside IPv4's (owned6, local6, nat6_*), filled from
// the table's IPv6 addresses and servers, in the same table and transactions.
// Neighbour discovery needs no rule of its own: a Neighbor Solicitation for a
// VIP goes to its solicited-node multicast address (not fenced), and the kernel
// answers one only for an address it holds, which a VIP or nat_router never is
// (tsvs answers them; a unicast solicitation to one is fenced with its traffic).
// The kernel's NDP for its own addresses is untouched. (nft 1.0.6 cannot match
// an NS's target address against an ipv6_addr set, or IPv4's ARP rule would have
// a twin for proxy_ndp set-ups.)
import { spawnSync } from 'node:child_process';
import { SET_NAMES, type SetName, type Sets } from './fence-elements.js';

export const FENCE_TABLE = 'tsvs';

const SET_TYPES: Record<SetName, string> = {
  owned: 'ipv4_addr', local: 'ipv4_addr', nat_tcp: 'ipv4_addr . inet_service', nat_udp: 'ipv4_addr . inet_service', nat_any: 'ipv4_addr',
  owned6: 'ipv6_addr', local6: 'ipv6_addr', nat6_tcp: 'ipv6_addr . inet_service', nat6_udp: 'ipv6_addr . inet_service', nat6_any: 'ipv6_addr',
};

/** The nft script that defines the whole table: its sets with these elements, a chain per device. */
export function fenceRuleset(devices: readonly string[], sets: Sets): string {
  const lines = [`table netdev ${FENCE_TABLE} {`];
  for (const name of SET_NAMES) {
    const els = sets[name];
    lines.push(`  set ${name} { type ${SET_TYPES[name]};${els.size ? ` elements = { ${[...els].join(', ')} }` : ''} }`);
  }
  devices.forEach((dev, i) => {
    lines.push(
      `  chain ingress_${i} {`,
      `    type filter hook ingress device "${dev}" priority -500; policy accept;`,
      '    arp operation request arp daddr ip @owned drop comment "tsvs answers ARP for its addresses"',
      '    ip daddr @owned drop comment "traffic to VIPs and the NAT router address is tsvs\'s"',
      '    ip daddr != @local ip saddr . tcp sport @nat_tcp drop comment "NAT replies are translated by tsvs"',
      '    ip daddr != @local ip saddr . udp sport @nat_udp drop comment "NAT replies are translated by tsvs"',
      '    ip daddr != @local ip saddr @nat_any meta l4proto { tcp, udp } drop comment "NAT replies of firewall-mark services"',
      '    ip6 daddr @owned6 drop comment "traffic to IPv6 VIPs and the IPv6 NAT router address is tsvs\'s"',
      '    ip6 daddr != @local6 ip6 saddr . tcp sport @nat6_tcp drop comment "IPv6 NAT replies are translated by tsvs"',
      '    ip6 daddr != @local6 ip6 saddr . udp sport @nat6_udp drop comment "IPv6 NAT replies are translated by tsvs"',
      '    ip6 daddr != @local6 ip6 saddr @nat6_any meta l4proto { tcp, udp } drop comment "IPv6 NAT replies of every-port services"',
      '  }',
    );
  });
  lines.push('}');
  return lines.join('\n') + '\n';
}

export interface NftRunner {
  (script: string): { ok: boolean; error: string };
}

export const runNft: NftRunner = (script) => {
  const r = spawnSync('nft', ['-f', '-'], { input: script, encoding: 'utf8' });
  if (r.error) return { ok: false, error: `nft: ${r.error.message} (install the nftables package)` };
  return { ok: r.status === 0, error: (r.stderr || '').trim() };
};

/**
 * Something kept equal to the fence's sets: the AF_XDP backend's steering maps
 * (io/afxdp.ts XdpSteering), so its XDP programs take from the kernel exactly what
 * the fence keeps from it. Called after each nft transaction that succeeded.
 */
export interface FenceMirror {
  install(sets: Sets): void;
  add(sets: Sets): void;
  delete(sets: Sets): void;
  clear(): void;
}

export class Fence {
  installed = false;

  constructor(
    private readonly nft: NftRunner = runNft,
    private readonly mirror?: FenceMirror,
  ) {}

  /**
   * Replaces the fence with this one in one nft transaction: the script creates
   * the table if it is missing, deletes it and defines it anew, and nft applies a
   * script whole or not at all, so there is never a moment without a fence.
   * Returns what was done, for the log; throws, leaving the old fence, on failure.
   */
  install(devices: readonly string[], sets: Sets): string[] {
    const done: string[] = [];
    if (!this.installed && this.nft(`list table netdev ${FENCE_TABLE}\n`).ok) {
      done.push(`replacing a leftover nftables table netdev ${FENCE_TABLE} (an earlier run did not exit cleanly)`);
    }
    const r = this.nft(`add table netdev ${FENCE_TABLE}\ndelete table netdev ${FENCE_TABLE}\n${fenceRuleset(devices, sets)}`);
    if (!r.ok) throw new Error(`cannot install the nftables fence: ${r.error}`);
    this.installed = true;
    this.mirror?.install(sets);
    const nat = sets.nat_tcp.size + sets.nat_udp.size + sets.nat_any.size + sets.nat6_tcp.size + sets.nat6_udp.size + sets.nat6_any.size;
    done.push(`installed nftables table netdev ${FENCE_TABLE} on ${devices.join(', ')}: the kernel no longer sees traffic to ${[...sets.owned, ...sets.owned6].join(', ')}${nat ? ' nor NAT replies from the real servers' : ''}`);
    return done;
  }

  /** Adds elements to the installed fence's sets, in one transaction (nothing to add runs no nft); throws on failure. */
  add(sets: Sets): void {
    this.elements('add', sets);
  }

  /** Deletes elements from the installed fence's sets, in one transaction; throws on failure. */
  delete(sets: Sets): void {
    this.elements('delete', sets);
  }

  private elements(verb: 'add' | 'delete', sets: Sets): void {
    if (!this.installed) throw new Error('the fence is not installed');
    const lines: string[] = [];
    for (const name of SET_NAMES) if (sets[name].size) lines.push(`${verb} element netdev ${FENCE_TABLE} ${name} { ${[...sets[name]].join(', ')} }`);
    if (!lines.length) return;
    const r = this.nft(lines.join('\n') + '\n');
    if (!r.ok) throw new Error(`cannot update the nftables fence: ${r.error}`);
    this.mirror?.[verb](sets);
  }

  remove(): boolean {
    if (!this.installed) return false;
    this.installed = false;
    try {
      this.mirror?.clear();
    } catch {
      // the programs go with the data plane's sockets anyway
    }
    return this.nft(`delete table netdev ${FENCE_TABLE}\n`).ok;
  }
}
