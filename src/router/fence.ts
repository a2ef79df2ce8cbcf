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
import { spawnSync } from 'node:child_process';
import { formatIPv4, type ServiceTable } from '../model/index.js';

export const FENCE_TABLE = 'tsvs';

export interface FenceSpec {
  devices: string[];
  /** Addresses tsvs owns (VIPs, NAT router). */
  owned: number[];
  /**
   * NAT real servers' (protocol, address, port): their replies to clients are
   * tsvs's to translate. Port 0 (a firewall-mark service's server keeps the
   * packet's port) fences every port of that address.
   */
  natReplies: Array<{ proto: 'tcp' | 'udp'; addr: number; port: number }>;
  /** Addresses the router's kernel itself holds: traffic to them is left alone. */
  local: number[];
}

export function fenceSpec(table: ServiceTable, devices: string[], local: number[]): FenceSpec {
  const natReplies = new Map<string, { proto: 'tcp' | 'udp'; addr: number; port: number }>();
  for (const s of table.services) {
    for (const r of s.servers) {
      if (r.forward !== 'nat') continue;
      const port = r.port || s.port;
      const e = { proto: s.protocol, addr: r.address, port };
      natReplies.set(`${e.proto} ${e.addr} ${e.port}`, e);
    }
  }
  const owned = [...new Set(table.addresses.map((a) => a.address))].sort((a, b) => a - b);
  return { devices, owned, natReplies: [...natReplies.values()], local };
}

/** The fence's sets and their elements, as nft writes them. */
type Sets = Record<'owned' | 'local' | 'nat_tcp' | 'nat_udp' | 'nat_any', Set<string>>;

const SET_TYPES: Record<keyof Sets, string> = {
  owned: 'ipv4_addr', local: 'ipv4_addr', nat_tcp: 'ipv4_addr . inet_service', nat_udp: 'ipv4_addr . inet_service', nat_any: 'ipv4_addr',
};

function setsOf(spec: FenceSpec): Sets {
  const sets: Sets = { owned: new Set(), local: new Set(), nat_tcp: new Set(), nat_udp: new Set(), nat_any: new Set() };
  for (const a of spec.owned) sets.owned.add(formatIPv4(a));
  for (const a of spec.local) sets.local.add(formatIPv4(a));
  for (const r of spec.natReplies) {
    if (r.port === 0) sets.nat_any.add(formatIPv4(r.addr));
    else sets[r.proto === 'tcp' ? 'nat_tcp' : 'nat_udp'].add(`${formatIPv4(r.addr)} . ${r.port}`);
  }
  return sets;
}

/** The nft script that defines the whole table. */
export function fenceRuleset(spec: FenceSpec): string {
  const sets = setsOf(spec);
  const lines = [`table netdev ${FENCE_TABLE} {`];
  for (const [name, els] of Object.entries(sets) as Array<[keyof Sets, Set<string>]>) {
    lines.push(`  set ${name} { type ${SET_TYPES[name]};${els.size ? ` elements = { ${[...els].join(', ')} }` : ''} }`);
  }
  spec.devices.forEach((dev, i) => {
    lines.push(
      `  chain ingress_${i} {`,
      `    type filter hook ingress device "${dev}" priority -500; policy accept;`,
      '    arp operation request arp daddr ip @owned drop comment "tsvs answers ARP for its addresses"',
      '    ip daddr @owned drop comment "traffic to VIPs and the NAT router address is tsvs\'s"',
      '    ip daddr != @local ip saddr . tcp sport @nat_tcp drop comment "NAT replies are translated by tsvs"',
      '    ip daddr != @local ip saddr . udp sport @nat_udp drop comment "NAT replies are translated by tsvs"',
      '    ip daddr != @local ip saddr @nat_any meta l4proto { tcp, udp } drop comment "NAT replies of firewall-mark services"',
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

export class Fence {
  installed = false;
  /** What the installed table holds. */
  private sets: Sets | null = null;

  constructor(private readonly nft: NftRunner = runNft) {}

  /**
   * Replaces the fence with this one in one nft transaction: the script creates
   * the table if it is missing, deletes it and defines it anew, and nft applies a
   * script whole or not at all, so there is never a moment without a fence.
   * Returns what was done, for the log; throws, leaving the old fence, on failure.
   */
  install(spec: FenceSpec): string[] {
    const done: string[] = [];
    if (!this.installed && this.nft(`list table netdev ${FENCE_TABLE}\n`).ok) {
      done.push(`replacing a leftover nftables table netdev ${FENCE_TABLE} (an earlier run did not exit cleanly)`);
    }
    const r = this.nft(`add table netdev ${FENCE_TABLE}\ndelete table netdev ${FENCE_TABLE}\n${fenceRuleset(spec)}`);
    if (!r.ok) throw new Error(`cannot install the nftables fence: ${r.error}`);
    this.installed = true;
    this.sets = setsOf(spec);
    done.push(`installed nftables table netdev ${FENCE_TABLE} on ${spec.devices.join(', ')}: the kernel no longer sees traffic to ${spec.owned.map(formatIPv4).join(', ')}${spec.natReplies.length ? ' nor NAT replies from the real servers' : ''}`);
    return done;
  }

  /**
   * Brings the installed fence to `spec` by set elements, in one transaction:
   * with `exact` false only adds what is missing (before a table switch, so the
   * new addresses are fenced before tsvs serves them); with `exact` true also
   * deletes what `spec` lacks (after the switch). Nothing to do runs no nft.
   */
  update(spec: FenceSpec, exact: boolean): void {
    const have = this.sets;
    if (!have) throw new Error('the fence is not installed');
    const want = setsOf(spec);
    const lines: string[] = [];
    for (const name of Object.keys(want) as Array<keyof Sets>) {
      const add = [...want[name]].filter((e) => !have[name].has(e));
      const del = exact ? [...have[name]].filter((e) => !want[name].has(e)) : [];
      if (add.length) lines.push(`add element netdev ${FENCE_TABLE} ${name} { ${add.join(', ')} }`);
      if (del.length) lines.push(`delete element netdev ${FENCE_TABLE} ${name} { ${del.join(', ')} }`);
    }
    if (!lines.length) return;
    const r = this.nft(lines.join('\n') + '\n');
    if (!r.ok) throw new Error(`cannot update the nftables fence: ${r.error}`);
    for (const name of Object.keys(want) as Array<keyof Sets>) {
      if (exact) have[name] = want[name];
      else for (const e of want[name]) have[name].add(e);
    }
  }

  remove(): boolean {
    if (!this.installed) return false;
    this.installed = false;
    this.sets = null;
    return this.nft(`delete table netdev ${FENCE_TABLE}\n`).ok;
  }
}
