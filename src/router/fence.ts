// Fences the router's kernel off the flows tsvs handles, as DESIGN.md asks: an
// nftables table of its own with a netdev ingress chain per device. AF_PACKET's
// tap sees frames before the ingress hook, so tsvs still gets them; the kernel
// does not: it cannot answer ARP for a VIP, reset a connection to it, or forward
// a real server's untranslated reply (even with ip_forward on). The table is
// created at start, removed at exit, and a leftover one (a crash) is replaced.
import { spawnSync } from 'node:child_process';
import { formatIPv4, type ServiceTable } from '../model/index.js';

export const FENCE_TABLE = 'tsvs';

export interface FenceSpec {
  devices: string[];
  /** Addresses tsvs owns (VIPs, NAT router). */
  owned: number[];
  /** NAT real servers' (protocol, address, port): their replies to clients are tsvs's to translate. */
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

/** The nft script: a whole table, replaced atomically. */
export function fenceRuleset(spec: FenceSpec): string {
  const set = (xs: number[]): string => `{ ${xs.map(formatIPv4).join(', ')} }`;
  const lines = [`table netdev ${FENCE_TABLE} {`];
  spec.devices.forEach((dev, i) => {
    lines.push(`  chain ingress_${i} {`, `    type filter hook ingress device "${dev}" priority -500; policy accept;`);
    if (spec.owned.length) {
      lines.push(`    arp operation request arp daddr ip ${set(spec.owned)} drop comment "tsvs answers ARP for its addresses"`);
      lines.push(`    ip daddr ${set(spec.owned)} drop comment "traffic to VIPs and the NAT router address is tsvs's"`);
    }
    for (const r of spec.natReplies) {
      const notLocal = spec.local.length ? ` ip daddr != ${set(spec.local)}` : '';
      lines.push(`    ip saddr ${formatIPv4(r.addr)} ${r.proto} sport ${r.port}${notLocal} drop comment "NAT replies are translated by tsvs"`);
    }
    lines.push('  }');
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

/** What both specs fence: in force while a change moves from one table to the other. */
export function unionSpec(a: FenceSpec, b: FenceSpec): FenceSpec {
  const replies = new Map<string, FenceSpec['natReplies'][number]>();
  for (const r of [...a.natReplies, ...b.natReplies]) replies.set(`${r.proto} ${r.addr} ${r.port}`, r);
  return {
    devices: a.devices,
    owned: [...new Set([...a.owned, ...b.owned])].sort((x, y) => x - y),
    natReplies: [...replies.values()],
    local: a.local,
  };
}

export function sameSpec(a: FenceSpec, b: FenceSpec): boolean {
  return fenceRuleset(a) === fenceRuleset(b);
}

export class Fence {
  installed = false;
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
    done.push(`installed nftables table netdev ${FENCE_TABLE} on ${spec.devices.join(', ')}: the kernel no longer sees traffic to ${spec.owned.map(formatIPv4).join(', ')}${spec.natReplies.length ? ' nor NAT replies from the real servers' : ''}`);
    return done;
  }

  remove(): boolean {
    if (!this.installed) return false;
    this.installed = false;
    return this.nft(`delete table netdev ${FENCE_TABLE}\n`).ok;
  }
}
