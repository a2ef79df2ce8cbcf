// The lab's topology plans, names, lvs.cf and /bytes pattern: pure, no root needed.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compileLvsCf, parseLvsCf } from '../../src/config/index.js';
import { checkLabName, isLabNamespace, labAddr6, labLvsCf, labMac, LAB_ADDRS, planLab, type LabPlan } from '../../src/lab/index.js';
import { fillPattern, patternByte } from '../../src/lab/httpd.js';
import { nginxConf } from '../../src/lab/servers.js';
import { formatIPv4 } from '../../src/model/index.js';
import { patternSha256 } from './helpers.js';

// 198.18.0.0/15 (RFC 2544) and, with --ipv6, 2001:2::/48 (RFC 5180).
const inLabSpace = (cidr: string) => /^198\.1[89]\.\d+\.\d+\/\d+$/.test(cidr) || /^2001:2:0:[0-9a-f]{1,4}::[0-9a-f]{1,4}\/(64|128)$/.test(cidr);

function commonChecks(p: LabPlan): void {
  // Network safety: every link end and every address is inside one of the lab's own namespaces.
  for (const l of p.links) {
    expect(p.namespaces.all).toContain(l.ns);
    expect(p.namespaces.all).toContain(l.peerNs);
    expect(l.dev.length).toBeLessThanOrEqual(15);
    expect(l.peerDev.length).toBeLessThanOrEqual(15);
  }
  for (const a of p.addrs) {
    expect(p.namespaces.all).toContain(a.ns);
    expect(inLabSpace(a.cidr), a.cidr).toBe(true);
  }
  for (const r of p.routes) expect(p.namespaces.all).toContain(r.ns);
  for (const ns of p.namespaces.all) expect(isLabNamespace(p.name, ns)).toBe(true);
  // The router's kernel owns only its admin address(es): never the VIP or nat_router.
  const routerAddrs = p.addrs.filter((a) => a.ns === p.namespaces.router).map((a) => a.cidr.split('/')[0]);
  expect(routerAddrs).not.toContain(p.vip);
  if (p.natRouter) expect(routerAddrs).not.toContain(p.natRouter);
  expect(routerAddrs).toContain(LAB_ADDRS.routerAdmin);
  const router = p.hosts.find((h) => h.ns === p.namespaces.router)!;
  expect(router.sysctls['net.ipv4.ip_forward']).toBe(0);
  // br_netfilter (when loaded) would run the switches' frames through iptables and
  // drop malformed IPv4 before it reaches the router: off in every switch namespace.
  for (const h of p.hosts.filter((x) => x.kind === 'switch')) {
    for (const k of ['arptables', 'iptables', 'ip6tables']) expect(h.sysctls[`net.bridge.bridge-nf-call-${k}`], `${h.ns} ${k}`).toBe(0);
  }
  expect(p.hosts.filter((x) => x.kind === 'switch').length).toBeGreaterThan(0);
  // Unique MACs on every link end that sets one.
  const macs = p.links.flatMap((l) => [l.mac, ...(l.peerMac ? [l.peerMac] : [])]);
  expect(new Set(macs).size).toBe(macs.length);
}

describe('lab plans', () => {
  it('NAT: client, public switch, router with eth0/eth1, private switch, real servers behind nat_router', () => {
    const p = planLab({ name: 'lab', mode: 'nat', servers: 3 });
    commonChecks(p);
    expect(p.namespaces.all).toEqual(['tsvs-lab-pub', 'tsvs-lab-priv', 'tsvs-lab-client', 'tsvs-lab-router', 'tsvs-lab-rs1', 'tsvs-lab-rs2', 'tsvs-lab-rs3']);
    expect(p.routerDevices).toEqual(['eth0', 'eth1']);
    expect(p.serverAddrs).toEqual(['198.19.0.11', '198.19.0.12', '198.19.0.13']);
    expect(p.addrs.filter((a) => a.ns === 'tsvs-lab-router')).toEqual([{ ns: 'tsvs-lab-router', dev: 'eth0', cidr: '198.18.0.2/24' }]);
    for (const ns of p.namespaces.servers) expect(p.routes).toContainEqual({ ns, dst: 'default', via: '198.19.0.1' });
    expect(p.addrs).toContainEqual({ ns: 'tsvs-lab-client', dev: 'eth0', cidr: '198.18.0.100/24' });
    const routerLinks = p.links.filter((l) => l.ns === p.namespaces.router);
    expect(routerLinks.map((l) => [l.dev, l.peerNs])).toEqual([
      ['eth0', 'tsvs-lab-pub'],
      ['eth1', 'tsvs-lab-priv'],
    ]);
  });

  it('NAT with routerPrivateAddr: the router kernel gets 198.19.0.2 on eth1, still not nat_router', () => {
    const p = planLab({ name: 'lab', mode: 'nat', servers: 1, routerPrivateAddr: true });
    commonChecks(p);
    expect(p.addrs).toContainEqual({ ns: 'tsvs-lab-router', dev: 'eth1', cidr: '198.19.0.2/24' });
  });

  it('NAT with --ha: a backup router on both switches, both routers with private addresses; the lvs.cf names both and compiles', () => {
    const p = planLab({ name: 'lab', mode: 'nat', servers: 2, ha: true });
    commonChecks(p);
    expect(p.namespaces.backup).toBe('tsvs-lab-backup');
    expect(p.links.filter((l) => l.ns === 'tsvs-lab-backup').map((l) => `${l.dev}>${l.peerNs}`)).toEqual(['eth0>tsvs-lab-pub', 'eth1>tsvs-lab-priv']);
    expect(p.addrs.filter((a) => a.ns === 'tsvs-lab-backup' || a.ns === 'tsvs-lab-router').map((a) => `${a.ns.slice(9)} ${a.dev} ${a.cidr}`)).toEqual([
      'router eth0 198.18.0.2/24', 'router eth1 198.19.0.2/24', 'backup eth0 198.18.0.3/24', 'backup eth1 198.19.0.3/24',
    ]);
    const { failover, sync } = compileLvsCf(parseLvsCf(labLvsCf(p), 'lvs.cf'));
    expect(sync).toEqual({ iface: 'eth1', syncid: 0, version: 1, auth: null }); // no ha_key_file in the lab
    expect(failover).toMatchObject({ primary: '198.18.0.2', primaryPrivate: '198.19.0.2', backup: '198.18.0.3', backupPrivate: '198.19.0.3', keepalive: 1, deadtime: 3, failback: true });
    expect(() => planLab({ name: 'lab', mode: 'dr', servers: 2, ha: true })).toThrow(/NAT mode only/);
  });

  it('NAT with --ha --vrrp: the same pair elects by VRRP (VRID 51 on eth0, keepalived\'s defaults otherwise); no pulse timers are written', () => {
    const p = planLab({ name: 'lab', mode: 'nat', servers: 2, ha: true });
    const text = labLvsCf(p, { vrrp: true });
    const { failover, notActedOn } = compileLvsCf(parseLvsCf(text, 'lvs.cf'));
    expect(failover?.vrrp).toMatchObject({ vrid: 51, interface: 'eth0', priority: 150, backupPriority: 100, advertInt: 1000, version: 2, preempt: true, unicastPeers: [] });
    expect(failover?.vrrp?.virtualAddresses.map((a) => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`)).toEqual(['198.19.0.1', '198.18.0.10']);
    expect(text).not.toMatch(/keepalive|deadtime|heartbeat/);
    expect(notActedOn.map((n) => n.key)).toEqual(['serial_no']);
  });

  it('DR: client behind a gateway, server LAN with the router and real servers holding the VIP on lo', () => {
    const p = planLab({ name: 'x1', mode: 'dr', servers: 2 });
    commonChecks(p);
    expect(p.namespaces.gw).toBe('tsvs-x1-gw');
    expect(p.routerDevices).toEqual(['eth0']);
    expect(p.serverAddrs).toEqual(['198.18.0.21', '198.18.0.22']);
    expect(p.routes).toContainEqual({ ns: 'tsvs-x1-client', dst: 'default', via: '198.18.1.1' });
    for (const ns of p.namespaces.servers) {
      expect(p.addrs).toContainEqual({ ns, dev: 'lo', cidr: '198.18.0.10/32' });
      expect(p.routes).toContainEqual({ ns, dst: 'default', via: '198.18.0.1' });
      const h = p.hosts.find((x) => x.ns === ns)!;
      for (const dev of ['all', 'lo']) {
        expect(h.sysctls[`net.ipv4.conf.${dev}.arp_ignore`]).toBe(1);
        expect(h.sysctls[`net.ipv4.conf.${dev}.arp_announce`]).toBe(2);
      }
      expect(h.deviceSysctls['net.ipv4.conf.eth0.arp_ignore']).toBe(1);
      expect(h.deviceSysctls['net.ipv4.conf.eth0.arp_announce']).toBe(2);
    }
    expect(p.hosts.find((h) => h.role === 'gw')!.sysctls['net.ipv4.ip_forward']).toBe(1);
  });

  it('DR --private-lan (the guide\'s DR figure): VIP on the public eth0, real servers on the private LAN behind eth1, replies through the gateway', () => {
    const p = planLab({ name: 'x2', mode: 'dr', servers: 2, privateLan: true });
    commonChecks(p);
    expect(p.routerDevices).toEqual(['eth0', 'eth1']);
    expect(p.serverAddrs).toEqual(['198.19.0.11', '198.19.0.12']);
    expect(p.addrs).toContainEqual({ ns: p.namespaces.router, dev: 'eth1', cidr: '198.19.0.2/24' });
    expect(p.routes).toContainEqual({ ns: p.namespaces.router, dst: 'default', via: '198.18.0.1' });
    for (const ns of p.namespaces.servers) {
      expect(p.addrs).toContainEqual({ ns, dev: 'lo', cidr: '198.18.0.10/32' });
      expect(p.routes).toContainEqual({ ns, dst: 'default', via: '198.19.0.1' });
      expect(p.hosts.find((x) => x.ns === ns)!.sysctls['net.ipv4.conf.all.arp_ignore']).toBe(1);
    }
    // lvs.cf names eth0 alone and no nat_router: only the router's routes lead to eth1.
    const { table } = compileLvsCf(parseLvsCf(labLvsCf(p), 'lab.cf'));
    expect(table.addresses.map((a) => [formatIPv4(a.address), a.device, a.role])).toEqual([['198.18.0.10', 'eth0', 'vip']]);
    expect(table.services[0].servers.every((r) => r.forward === 'dr')).toBe(true);
    expect(() => planLab({ name: 'x3', mode: 'nat', servers: 1, privateLan: true })).toThrow(/DR layout/);
  });

  it('--ipv6: each host gets the 2001:2::/48 twin of each address and route, with IPv6 on and no DAD; the switches do not', () => {
    for (const o of [{ mode: 'nat' as const, routerPrivateAddr: true }, { mode: 'dr' as const }, { mode: 'dr' as const, privateLan: true }, { mode: 'nat' as const, ha: true }]) {
      const p = planLab({ name: 'lab', servers: 2, ipv6: true, ...o });
      const v4 = planLab({ name: 'lab', servers: 2, ...o });
      commonChecks(p);
      expect(p.addrs.slice(0, v4.addrs.length)).toEqual(v4.addrs);
      expect(p.addrs.length).toBe(2 * v4.addrs.length);
      expect(p.routes.length).toBe(2 * v4.routes.length);
      expect(p.v6!.vip).toBe('2001:2:0:1::10');
      const routerAddrs = p.addrs.filter((a) => a.ns === p.namespaces.router).map((a) => a.cidr.split('/')[0]);
      expect(routerAddrs).not.toContain(p.v6!.vip);
      if (p.v6!.natRouter) expect(routerAddrs).not.toContain(p.v6!.natRouter);
      for (const h of p.hosts) {
        const on = h.kind === 'host';
        expect(h.sysctls['net.ipv6.conf.default.disable_ipv6'], h.ns).toBe(on ? 0 : 1);
        if (on) expect([h.sysctls['net.ipv6.conf.all.accept_dad'], h.sysctls['net.ipv6.conf.default.accept_dad']]).toEqual([0, 0]);
      }
      expect(p.hosts.find((h) => h.ns === p.namespaces.router)!.sysctls['net.ipv6.conf.all.forwarding']).toBe(0);
      if (p.namespaces.gw) expect(p.hosts.find((h) => h.ns === p.namespaces.gw)!.sysctls['net.ipv6.conf.all.forwarding']).toBe(1);
    }
    const nat = planLab({ name: 'lab', mode: 'nat', servers: 2, ipv6: true });
    expect(nat.v6).toEqual({ vip: '2001:2:0:1::10', natRouter: '2001:2:0:2::1', routerAddr: '2001:2:0:1::2', clientAddr: '2001:2:0:1::100', serverAddrs: ['2001:2:0:2::11', '2001:2:0:2::12'] });
    expect(nat.routes).toContainEqual({ ns: 'tsvs-lab-rs1', dst: '::/0', via: '2001:2:0:2::1' });
    const dr = planLab({ name: 'lab', mode: 'dr', servers: 1, ipv6: true });
    expect(dr.addrs).toContainEqual({ ns: 'tsvs-lab-rs1', dev: 'lo', cidr: '2001:2:0:1::10/128' });
    expect(dr.addrs).toContainEqual({ ns: 'tsvs-lab-client', dev: 'eth0', cidr: '2001:2:0:3::100/64' });
    expect(dr.routes).toContainEqual({ ns: 'tsvs-lab-client', dst: '::/0', via: '2001:2:0:3::1' });
    expect(planLab({ name: 'lab', mode: 'nat', servers: 1 }).v6).toBeUndefined();
    expect(labAddr6('198.18.1.100')).toBe('2001:2:0:3::100');
    expect(() => labAddr6('10.0.0.1')).toThrow(/not a lab address with an IPv6 twin/);
  });

  it('refuses server counts outside 1..32 and unknown modes', () => {
    expect(() => planLab({ name: 'lab', mode: 'nat', servers: 0 })).toThrow(/1 to 32/);
    expect(() => planLab({ name: 'lab', mode: 'dr', servers: 33 })).toThrow(/1 to 32/);
    expect(() => planLab({ name: 'lab', mode: 'tun' as 'nat', servers: 1 })).toThrow(/nat or dr/);
  });

  it('stable MACs: 02:6c:61:62:host:itf', () => {
    expect(labMac(0x11, 0)).toBe('02:6c:61:62:11:00');
  });
});

describe('lab names', () => {
  it('accepts letters and digits only, so prefixes never overlap', () => {
    expect(checkLabName('lab')).toBe('lab');
    expect(checkLabName('t12345x1')).toBe('t12345x1');
    for (const bad of ['', 'a-b', 'Lab', 'a_b', 'x'.repeat(21)]) expect(() => checkLabName(bad)).toThrow(/lab name/);
  });

  it('matches a lab namespace only for its own lab', () => {
    expect(isLabNamespace('lab', 'tsvs-lab-client')).toBe(true);
    expect(isLabNamespace('lab', 'tsvs-lab-rs12')).toBe(true);
    expect(isLabNamespace('lab', 'tsvs-lab2-client')).toBe(false);
    expect(isLabNamespace('lab', 'tsvs-lab-x-client')).toBe(false);
    expect(isLabNamespace('lab', 'other')).toBe(false);
  });
});

describe('lab lvs.cf', () => {
  it('NAT: parses and compiles to the VIP on eth0, nat_router on eth1, wlc over rs1..rsN by masquerading', () => {
    const p = planLab({ name: 'lab', mode: 'nat', servers: 3 });
    const { table } = compileLvsCf(parseLvsCf(labLvsCf(p), 'lab.cf'));
    const owned = table.addresses.map((a) => `${formatIPv4(a.address)} ${a.device} ${a.role}`).sort();
    expect(owned).toEqual(['198.18.0.10 eth0 vip', '198.19.0.1 eth1 nat_router']);
    expect(table.services).toHaveLength(1);
    const s = table.services[0];
    expect([formatIPv4(s.address), s.port, s.protocol, s.scheduler]).toEqual(['198.18.0.10', 80, 'tcp', 'wlc']);
    expect(s.servers.map((r) => [r.name, formatIPv4(r.address), r.port, r.weight, r.forward])).toEqual([
      ['rs1', '198.19.0.11', 80, 1, 'nat'],
      ['rs2', '198.19.0.12', 80, 1, 'nat'],
      ['rs3', '198.19.0.13', 80, 1, 'nat'],
    ]);
  });

  it('--ipv6: a second nat_router line (IPv6, no netmask key) and a v6 virtual service beside the v4 one', () => {
    const cf = labLvsCf(planLab({ name: 'lab', mode: 'nat', servers: 2, ipv6: true }));
    expect(cf).toContain('nat_router = 198.19.0.1 eth1:0\nnat_nmask = 255.255.255.0\nnat_router = 2001:2:0:2::1 eth1:0\n');
    const v6 = cf.slice(cf.indexOf('virtual http6 {'));
    expect(v6).toMatch(/^virtual http6 \{\n {4}active = 1\n {4}address = 2001:2:0:1::10 eth0:1\n {4}port = 80\n/);
    expect([...v6.matchAll(/ {8}address = (\S+)/g)].map((m) => m[1])).toEqual(['2001:2:0:2::11', '2001:2:0:2::12']);
    const dr = labLvsCf(planLab({ name: 'lab', mode: 'dr', servers: 1, ipv6: true }));
    expect(dr).not.toContain('nat_router');
    expect(dr).toContain('    address = 2001:2:0:1::10 eth0:1\n');
    expect(labLvsCf(planLab({ name: 'lab', mode: 'nat', servers: 1 }))).not.toContain('2001:');
  });

  it('--ipv6: nginx listens on [::]:80 beside 0.0.0.0:80; an IPv4 lab\'s nginx does not', () => {
    expect(nginxConf({ ns: 'n', name: 'rs1', addr: '198.19.0.11', ipv6: true }, '/d')).toContain('        listen 80 backlog=4096;\n        listen [::]:80 ipv6only=on backlog=4096;\n');
    expect(nginxConf({ ns: 'n', name: 'rs1', addr: '198.19.0.11' }, '/d')).not.toContain('[::]');
  });

  it('DR: direct routing, no nat_router, real servers on the VIP LAN', () => {
    const p = planLab({ name: 'lab', mode: 'dr', servers: 2 });
    const text = labLvsCf(p);
    expect(text).not.toMatch(/nat_router/);
    const { table } = compileLvsCf(parseLvsCf(text, 'lab.cf'));
    expect(table.addresses.map((a) => [formatIPv4(a.address), a.device, a.role])).toEqual([['198.18.0.10', 'eth0', 'vip']]);
    expect(table.services[0].servers.map((r) => [formatIPv4(r.address), r.forward])).toEqual([
      ['198.18.0.21', 'dr'],
      ['198.18.0.22', 'dr'],
    ]);
  });
});

describe('httpd /bytes pattern', () => {
  it('is the same whatever the chunking and alignment', () => {
    const whole = new Uint8Array(4099);
    fillPattern(whole, 0);
    for (let i = 0; i < whole.length; i++) if (whole[i] !== patternByte(i)) throw new Error(`byte ${i}`);
    for (const [from, len] of [[1, 7], [3, 1000], [4, 4], [1023, 2051], [4098, 1]]) {
      const part = new Uint8Array(len);
      fillPattern(part, from);
      expect(Buffer.from(part).equals(Buffer.from(whole.subarray(from, from + len)))).toBe(true);
    }
  });

  it('does not repeat with a short period, and past 4 GiB it still is a function of the offset', () => {
    const a = new Uint8Array(1 << 16);
    const b = new Uint8Array(1 << 16);
    fillPattern(a, 0);
    fillPattern(b, 1 << 16);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    const far = new Uint8Array(8);
    fillPattern(far, 2 ** 33 + 2);
    expect([...far]).toEqual(Array.from({ length: 8 }, (_, i) => patternByte(2 ** 33 + 2 + i)));
  });

  // Golden values from an independent reference (Python: b''.join(struct.pack('<I', fmix32(k ^ 0x9e3779b9)) ...)).
  it('golden: the first 1 MiB (pins the format that download tests check against)', () => {
    const buf = new Uint8Array(1 << 20);
    fillPattern(buf, 0);
    expect(Buffer.from(buf.subarray(0, 8)).toString('hex')).toBe('0e2fca9203b5de36');
    expect(createHash('sha256').update(buf).digest('hex')).toBe('4d877d5abf80279673ead8fcbdffc96e32b924e8c81e4fae9bf2d7447bc7ee44');
    expect(patternSha256(1 << 20)).toBe('4d877d5abf80279673ead8fcbdffc96e32b924e8c81e4fae9bf2d7447bc7ee44');
  });
});
