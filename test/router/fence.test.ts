// The nftables fence (router/fence.ts): the ruleset's text, with IPv4's sets and
// rules and IPv6's beside them, and [root] the real nft accepting it in a
// namespace of the test's own, its element updates, and what it does to the
// kernel there: IPv6 traffic to an owned address never reaches the kernel, while
// neighbour discovery and traffic for the kernel's own address keep working.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Fence, fenceRuleset, type NftRunner } from '../../src/router/fence.js';
import { newSets, type Sets } from '../../src/router/fence-elements.js';

const ROOT = process.getuid?.() === 0;

function sets(els: Partial<Record<keyof Sets, string[]>>): Sets {
  const s = newSets();
  for (const [k, v] of Object.entries(els)) for (const e of v) s[k as keyof Sets].add(e);
  return s;
}

const FULL = sets({
  owned: ['198.18.0.10', '198.19.0.1'], local: ['198.18.0.2'], nat_tcp: ['198.19.0.11 . 80'],
  owned6: ['2001:2:0:1::10', '2001:2:0:2::1'], local6: ['2001:2:0:1::2', 'fe80::1'], nat6_tcp: ['2001:2:0:2::11 . 80'], nat6_udp: ['2001:2:0:2::11 . 53'], nat6_any: ['2001:2:0:2::12'],
});

describe('fence ruleset', () => {
  it('declares the IPv6 sets beside the IPv4 ones and fences v6 owned addresses and NAT replies on every device', () => {
    const text = fenceRuleset(['eth0', 'eth1'], FULL);
    expect(text).toContain('  set owned6 { type ipv6_addr; elements = { 2001:2:0:1::10, 2001:2:0:2::1 } }');
    expect(text).toContain('  set local6 { type ipv6_addr; elements = { 2001:2:0:1::2, fe80::1 } }');
    expect(text).toContain('  set nat6_tcp { type ipv6_addr . inet_service; elements = { 2001:2:0:2::11 . 80 } }');
    expect(text).toContain('  set nat6_udp { type ipv6_addr . inet_service; elements = { 2001:2:0:2::11 . 53 } }');
    expect(text).toContain('  set nat6_any { type ipv6_addr; elements = { 2001:2:0:2::12 } }');
    expect(text).toContain('  set owned { type ipv4_addr; elements = { 198.18.0.10, 198.19.0.1 } }');
    for (const rule of ['ip6 daddr @owned6 drop', 'ip6 daddr != @local6 ip6 saddr . tcp sport @nat6_tcp drop', 'ip6 daddr != @local6 ip6 saddr . udp sport @nat6_udp drop', 'ip6 daddr != @local6 ip6 saddr @nat6_any meta l4proto { tcp, udp } drop', 'ip daddr @owned drop']) {
      expect(text.split('\n').filter((l) => l.includes(rule))).toHaveLength(2);
    }
    // Empty sets are declared without elements (nft refuses `elements = { }`).
    expect(fenceRuleset(['eth0'], newSets())).toContain('  set nat6_any { type ipv6_addr; }');
  });

  it('adds and deletes IPv6 elements in the same single transaction as IPv4 ones', () => {
    const scripts: string[] = [];
    const f = new Fence((s) => (scripts.push(s), { ok: true, error: '' }));
    f.install(['eth0'], newSets());
    f.add(sets({ owned: ['198.18.0.20'], owned6: ['2001:2:0:1::20'], nat6_tcp: ['2001:2:0:2::13 . 80'] }));
    expect(scripts.at(-1)).toBe('add element netdev tsvs owned { 198.18.0.20 }\nadd element netdev tsvs owned6 { 2001:2:0:1::20 }\nadd element netdev tsvs nat6_tcp { 2001:2:0:2::13 . 80 }\n');
    f.delete(sets({ owned6: ['2001:2:0:1::20'] }));
    expect(scripts.at(-1)).toBe('delete element netdev tsvs owned6 { 2001:2:0:1::20 }\n');
  });
});

const sh = (cmd: string, input?: string) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8', timeout: 15_000, ...(input !== undefined ? { input } : {}) });

describe('fence in a namespace [root]', () => {
  (ROOT ? it : it.skip)('nft accepts it; v6 traffic to an owned address is fenced, NDP and the kernel\'s own address are not', () => {
    const r = `tsvs-fence-${process.pid}-r`;
    const c = `tsvs-fence-${process.pid}-c`;
    const nft: NftRunner = (script) => {
      const x = sh(`ip netns exec ${r} nft -f -`, script);
      return { ok: x.status === 0, error: (x.stderr || '').trim() };
    };
    try {
      // Two namespaces, a veth pair between them; IPv6 on, no DAD. The router's kernel
      // holds an address it also "owns" (2001:2:0:1::10), so that the fence alone decides whether it answers.
      const setup = [
        `ip netns add ${r}`, `ip netns add ${c}`,
        ...[r, c].map((n) => `ip netns exec ${n} sysctl -q -w net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 net.ipv6.conf.default.accept_dad=0`),
        `ip -n ${r} link add eth0 type veth peer name eth0 netns ${c}`,
        `ip -n ${r} addr add 2001:2:0:1::2/64 dev eth0 nodad`, `ip -n ${r} addr add 2001:2:0:1::10/64 dev eth0 nodad`,
        `ip -n ${c} addr add 2001:2:0:1::100/64 dev eth0 nodad`,
        `ip -n ${r} link set eth0 up`, `ip -n ${c} link set eth0 up`,
      ];
      const s = sh(setup.join(' && '));
      expect(s.stderr).toBe('');
      const ping = (to: string) => sh(`ip netns exec ${c} ping -6 -c 1 -W 1 ${to}`).status;
      expect(ping('2001:2:0:1::10')).toBe(0); // no fence yet: the kernel answers
      const full = sets({ owned6: ['2001:2:0:1::10'], local6: ['2001:2:0:1::2'], nat6_tcp: ['2001:2:0:1::100 . 80'], owned: ['198.18.0.10'] });
      const text = fenceRuleset(['eth0'], full);
      expect(sh(`ip netns exec ${r} nft -c -f -`, text).stderr).toBe('');
      const f = new Fence(nft);
      f.install(['eth0'], full);
      sh(`ip -n ${c} neigh flush dev eth0`);
      expect(ping('2001:2:0:1::10')).not.toBe(0); // fenced
      expect(ping('2001:2:0:1::2')).toBe(0); // the kernel's own address: NDP and echo work
      expect(sh(`ip -n ${c} -6 neigh show 2001:2:0:1::2`).stdout).toMatch(/lladdr/);
      f.add(sets({ owned6: ['2001:2:0:1::20'], nat6_udp: ['2001:2:0:1::100 . 53'] }));
      f.delete(sets({ owned6: ['2001:2:0:1::10'] }));
      const listed = sh(`ip netns exec ${r} nft list set netdev tsvs owned6`).stdout;
      expect(listed).toContain('2001:2:0:1::20');
      expect(listed).not.toContain('2001:2:0:1::10');
      expect(ping('2001:2:0:1::10')).toBe(0); // no longer owned: the kernel's again
      expect(f.remove()).toBe(true);
      expect(sh(`ip netns exec ${r} nft list tables`).stdout).not.toContain('tsvs');
    } finally {
      sh(`ip netns del ${r}; ip netns del ${c}`);
    }
  }, 30_000);
});
