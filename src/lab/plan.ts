// The lab topologies of the Red Hat guide, as data: which namespaces, veth pairs,
// bridges, addresses, routes and sysctls. Pure, so tests can read a plan without
// root; apply.ts turns it into `ip` commands.
//
// NAT (LVS-NAT, RH guide figure "LVS NAT routing"):
//
//   client 198.18.0.100 ── [pub: br0] ── eth0 router eth1 ── [priv: br0] ── rs1 198.19.0.11
//                                        198.18.0.2 (admin)                  rs2 198.19.0.12 ...
//                 VIP 198.18.0.10 and nat_router 198.19.0.1 are answered by tsvs, not the kernel;
//                 real servers' default route: via 198.19.0.1.
//
// NAT with --ha (the guide's figure with a backup router): a second router,
// "backup", on both bridges: eth0 198.18.0.3, eth1 198.19.0.3; the primary gets
// 198.19.0.2 on eth1. The lvs.cf names both (backup_active = 1), and pulse's
// heartbeat runs over the public and the private LAN.
//
// DR (LVS-DR):
//
//   client 198.18.1.100 ── eth0 gw eth1 ── [lan: br0] ── eth0 router 198.18.0.2 (VIP 198.18.0.10 by tsvs)
//         gw 198.18.1.1          198.18.0.1              rs1 198.18.0.21, rs2 198.18.0.22 ... (VIP on lo,
//                                                        arp_ignore=1, arp_announce=2, default via 198.18.0.1)
//
// DR with --private-lan (the guide's DR figure: the VIP on the router's public
// interface, the real servers on its private LAN; lvs.cf names eth0 alone and no
// nat_router, so only the router's routes say that eth1 reaches the servers):
//
//   client 198.18.0.100 ── [pub: br0] ── eth0 router eth1 ── [priv: br0] ── rs1 198.19.0.11, rs2 ... (VIP on lo,
//                              │         198.18.0.2  198.19.0.2   │         arp_ignore=1, arp_announce=2,
//                              └── eth0 gw 198.18.0.1 / 198.19.0.1 eth1 ──┘     default via 198.19.0.1)
//                 the replies go from the real servers through gw, the site's other router, straight to the client.
//
// --ipv6 (any layout): dual stack. Every host (not the switches) gets IPv6, and
// beside each IPv4 address its twin in 2001:2::/48 (RFC 5180's benchmarking
// range): 198.18.0.X/24 -> 2001:2:0:1::X/64, 198.19.0.X/24 -> 2001:2:0:2::X/64,
// 198.18.1.X/24 -> 2001:2:0:3::X/64 (X's decimal digits as written: .100 -> ::100),
// and the VIP on the DR servers' lo as /128. So the v6 VIP is 2001:2:0:1::10 and
// NAT's v6 nat_router 2001:2:0:2::1. Each IPv4 route has its twin (::/0 via the
// twin of its gateway). DAD is off (accept_dad = 0, addresses added nodad): no
// address waits out a tentative second. Router advertisements are ignored.
// Linux answers a Neighbor Solicitation only for an address on the interface it
// arrived on (ndisc_recv_ns looks the target up strictly on that device), so a DR
// server with the v6 VIP on lo never answers for it on eth0: IPv6 needs no
// arp_ignore (which is IPv4-only); test/lab/ipv6.test.ts checks it.
import { nsName } from './names.js';

export type LabMode = 'nat' | 'dr';

export const MAX_SERVERS = 32;

/** The address plan: all inside 198.18.0.0/15 (RFC 2544 benchmarking space). */
export const LAB_ADDRS = {
  vip: '198.18.0.10',
  routerAdmin: '198.18.0.2',
  backupAdmin: '198.18.0.3',
  nat: { client: '198.18.0.100', natRouter: '198.19.0.1', routerPrivate: '198.19.0.2', backupPrivate: '198.19.0.3', serverBase: '198.19.0.', serverFirst: 11 },
  dr: { client: '198.18.1.100', gwClientSide: '198.18.1.1', gwServerSide: '198.18.0.1', serverBase: '198.18.0.', serverFirst: 21 },
  drPrivate: { client: '198.18.0.100', gwPublic: '198.18.0.1', gwPrivate: '198.19.0.1', routerPrivate: '198.19.0.2', serverBase: '198.19.0.', serverFirst: 11 },
} as const;

/** --ipv6: each lab /24 and its /64 in 2001:2::/48 (RFC 5180). */
export const LAB_NETS6: Readonly<Record<string, string>> = { '198.18.0.': '2001:2:0:1::', '198.19.0.': '2001:2:0:2::', '198.18.1.': '2001:2:0:3::' };

/** The IPv6 twin of a lab IPv4 address: 198.19.0.11 -> 2001:2:0:2::11 (canonical RFC 5952 text). */
export function labAddr6(v4: string): string {
  const dot = v4.lastIndexOf('.') + 1;
  const net = LAB_NETS6[v4.slice(0, dot)];
  if (net === undefined || !/^\d{1,3}$/.test(v4.slice(dot))) throw new Error(`${v4} is not a lab address with an IPv6 twin`);
  return net + v4.slice(dot);
}

/** The lab's IPv6 addresses (--ipv6), the twins of the IPv4 ones of the same names. */
export interface LabAddrs6 {
  vip: string;
  natRouter?: string;
  routerAddr: string;
  routerPrivateAddr?: string;
  backupAddr?: string;
  backupPrivateAddr?: string;
  clientAddr: string;
  gatewayAddr?: string;
  serverAddrs: string[];
}

export interface HostPlan {
  role: string;
  ns: string;
  kind: 'host' | 'switch';
  /** Set right after the namespace is made, before any link: new devices inherit `default`. */
  sysctls: Record<string, string | number>;
  /** Set once the devices exist. */
  deviceSysctls: Record<string, string | number>;
}

/** A veth pair made inside `ns` with its peer created directly in `peerNs`. */
export interface LinkPlan {
  ns: string;
  dev: string;
  mac: string;
  peerNs: string;
  peerDev: string;
  peerMac?: string;
  /** The bridge (in peerNs) the peer end is a port of. */
  bridge?: string;
}

export interface AddrPlan {
  ns: string;
  dev: string;
  cidr: string;
}

export interface RoutePlan {
  ns: string;
  dst: string;
  via: string;
}

export interface LabPlan {
  name: string;
  mode: LabMode;
  hosts: HostPlan[];
  bridges: Array<{ ns: string; dev: string }>;
  links: LinkPlan[];
  addrs: AddrPlan[];
  routes: RoutePlan[];
  namespaces: { client: string; router: string; servers: string[]; switches: string[]; gw?: string; backup?: string; all: string[] };
  vip: string;
  natRouter?: string;
  routerAddr: string;
  routerPrivateAddr?: string;
  /** --ha: the backup router's public and private addresses (its namespace is namespaces.backup). */
  backupAddr?: string;
  backupPrivateAddr?: string;
  clientAddr: string;
  gatewayAddr?: string;
  serverNames: string[];
  serverAddrs: string[];
  /** The router's interfaces, named as lvs.cf names them. */
  routerDevices: string[];
  /** --ipv6: the IPv6 twins of the addresses above. */
  v6?: LabAddrs6;
}

export interface PlanOptions {
  name: string;
  mode: LabMode;
  servers: number;
  /** NAT only: give the router's kernel an admin address on the private LAN (198.19.0.2), e.g. for health checks. */
  routerPrivateAddr?: boolean;
  /** NAT only: a backup router beside the primary (implies routerPrivateAddr). */
  ha?: boolean;
  /** DR only: the guide's DR figure, the real servers on a private LAN behind the router's eth1. */
  privateLan?: boolean;
  /** Dual stack: IPv6 twins of every address and route (2001:2::/48), a v6 VIP beside the v4 one. */
  ipv6?: boolean;
}

const HOST_ID = { client: 0x01, router: 0x02, gw: 0x03, backup: 0x04 } as const;

/** Stable, locally administered: 02:6c:61:62:HH:II ("lab"), HH the host, II its interface. */
export function labMac(host: number, itf: number): string {
  const h = (n: number) => n.toString(16).padStart(2, '0');
  return `02:6c:61:62:${h(host)}:${h(itf)}`;
}

const serverHostId = (i: number) => 0x10 + i;

const COMMON: Record<string, number> = {
  // No IPv6 chatter (router solicitations, MLD) in captures unless the lab is dual stack (--ipv6, V6_ON).
  'net.ipv6.conf.all.disable_ipv6': 1,
  'net.ipv6.conf.default.disable_ipv6': 1,
  // New namespaces inherit IPv4 conf from the root namespace (devconf_inherit_init_net=0):
  // reset rp_filter so asymmetric DR replies are not dropped (LAB-NOTES gotcha 6).
  'net.ipv4.conf.all.rp_filter': 0,
  'net.ipv4.conf.default.rp_filter': 0,
  'net.ipv4.conf.lo.rp_filter': 0,
};

/** LVS-DR: "the real servers must not answer ARP for the VIP" (arp_ignore=1, arp_announce=2). */
const DR_ARP: Record<string, number> = {
  'net.ipv4.conf.all.arp_ignore': 1,
  'net.ipv4.conf.all.arp_announce': 2,
  'net.ipv4.conf.default.arp_ignore': 1,
  'net.ipv4.conf.default.arp_announce': 2,
  'net.ipv4.conf.lo.arp_ignore': 1,
  'net.ipv4.conf.lo.arp_announce': 2,
};

/**
 * A switch's bridge must pass frames as a switch does. With br_netfilter loaded
 * (Docker and Kubernetes hosts) bridged IPv4 goes through iptables, which drops
 * malformed headers before they reach the router: tests of malformed frames
 * would test nothing. Per namespace since Linux 5.3; `sysctl -e` skips them
 * where br_netfilter is not loaded.
 */
const BRIDGE_NF_OFF: Record<string, number> = {
  'net.bridge.bridge-nf-call-arptables': 0,
  'net.bridge.bridge-nf-call-iptables': 0,
  'net.bridge.bridge-nf-call-ip6tables': 0,
};

function host(role: string, name: string, kind: HostPlan['kind'], extra: Record<string, number | string> = {}, deviceSysctls: Record<string, number> = {}): HostPlan {
  const own = kind === 'switch' ? BRIDGE_NF_OFF : {};
  return { role, ns: nsName(name, role), kind, sysctls: { ...COMMON, ...own, ...extra }, deviceSysctls };
}

export function planLab(o: PlanOptions): LabPlan {
  if (!Number.isInteger(o.servers) || o.servers < 1 || o.servers > MAX_SERVERS) {
    throw new Error(`--servers ${o.servers}: want 1 to ${MAX_SERVERS}`);
  }
  if (o.mode !== 'nat' && o.mode !== 'dr') throw new Error(`lab mode "${String(o.mode)}": want nat or dr`);
  if (o.ha && o.mode !== 'nat') throw new Error('--ha: the lab has a backup router in NAT mode only');
  if (o.privateLan && o.mode !== 'dr') throw new Error('--private-lan: the real servers on a private LAN is a DR layout (NAT\'s are always)');
  const plan = o.mode === 'nat' ? planNat(o) : o.privateLan ? planDrPrivate(o) : planDr(o);
  return o.ipv6 ? dualStack(plan) : plan;
}

/** Hosts with IPv6 (COMMON turns it off): no DAD, no router advertisements, no router solicitations. */
const V6_ON: Record<string, number> = {
  'net.ipv6.conf.all.disable_ipv6': 0,
  'net.ipv6.conf.default.disable_ipv6': 0,
  'net.ipv6.conf.all.accept_dad': 0,
  'net.ipv6.conf.default.accept_dad': 0,
  'net.ipv6.conf.all.accept_ra': 0,
  'net.ipv6.conf.default.accept_ra': 0,
  'net.ipv6.conf.default.router_solicitations': 0,
};

/** The plan with IPv6 twins of its addresses and routes (see the header); the switches stay IPv4-only bridges. */
function dualStack(p: LabPlan): LabPlan {
  const hosts = p.hosts.map((h) => {
    if (h.kind === 'switch') return h;
    // A host that forwards IPv4 (the DR gateway) forwards IPv6 too; the routers' kernels forward neither.
    const fwd = h.sysctls['net.ipv4.ip_forward'];
    return { ...h, sysctls: { ...h.sysctls, ...V6_ON, ...(fwd !== undefined ? { 'net.ipv6.conf.all.forwarding': fwd } : {}) } };
  });
  const addrs = [...p.addrs, ...p.addrs.map((a) => {
    const [addr, len] = a.cidr.split('/');
    return { ns: a.ns, dev: a.dev, cidr: `${labAddr6(addr)}/${len === '32' ? 128 : 64}` };
  })];
  const routes = [...p.routes, ...p.routes.map((r) => ({ ns: r.ns, dst: r.dst === 'default' ? '::/0' : r.dst, via: labAddr6(r.via) }))];
  const opt = (a: string | undefined) => (a === undefined ? undefined : labAddr6(a));
  const v6: LabAddrs6 = {
    vip: labAddr6(p.vip),
    routerAddr: labAddr6(p.routerAddr),
    clientAddr: labAddr6(p.clientAddr),
    serverAddrs: p.serverAddrs.map(labAddr6),
  };
  for (const k of ['natRouter', 'routerPrivateAddr', 'backupAddr', 'backupPrivateAddr', 'gatewayAddr'] as const) {
    const a = opt(p[k]);
    if (a !== undefined) v6[k] = a;
  }
  return { ...p, hosts, addrs, routes, v6 };
}

function serverHosts(o: PlanOptions, extra: Record<string, number> = {}, deviceSysctls: Record<string, number> = {}): HostPlan[] {
  return Array.from({ length: o.servers }, (_, k) => host(`rs${k + 1}`, o.name, 'host', extra, deviceSysctls));
}

function clientSysctls(): Record<string, number | string> {
  // A load generator's client: reuse TIME_WAIT ports and use the whole range (LAB-NOTES gotcha 8).
  return { 'net.ipv4.tcp_tw_reuse': 1, 'net.ipv4.ip_local_port_range': '1024 65535' };
}

/** The router's kernel: no forwarding (tsvs forwards), ARP answers only for its own addresses on the asked interface. */
function routerSysctls(): Record<string, number> {
  return { 'net.ipv4.ip_forward': 0, 'net.ipv4.conf.all.arp_ignore': 1, 'net.ipv4.conf.default.arp_ignore': 1, 'net.ipv4.conf.all.arp_announce': 2, 'net.ipv4.conf.default.arp_announce': 2 };
}

function planNat(o: PlanOptions): LabPlan {
  const A = LAB_ADDRS.nat;
  const client = host('client', o.name, 'host', clientSysctls());
  const router = host('router', o.name, 'host', routerSysctls());
  const backup = o.ha ? host('backup', o.name, 'host', routerSysctls()) : null;
  const pub = host('pub', o.name, 'switch');
  const priv = host('priv', o.name, 'switch');
  const servers = serverHosts(o);
  const serverAddrs = servers.map((_, k) => `${A.serverBase}${A.serverFirst + k}`);
  const privateAddr = o.routerPrivateAddr || o.ha;
  const links: LinkPlan[] = [
    { ns: client.ns, dev: 'eth0', mac: labMac(HOST_ID.client, 0), peerNs: pub.ns, peerDev: 'client', bridge: 'br0' },
    { ns: router.ns, dev: 'eth0', mac: labMac(HOST_ID.router, 0), peerNs: pub.ns, peerDev: 'router', bridge: 'br0' },
    { ns: router.ns, dev: 'eth1', mac: labMac(HOST_ID.router, 1), peerNs: priv.ns, peerDev: 'router', bridge: 'br0' },
    ...(backup ? [
      { ns: backup.ns, dev: 'eth0', mac: labMac(HOST_ID.backup, 0), peerNs: pub.ns, peerDev: 'backup', bridge: 'br0' },
      { ns: backup.ns, dev: 'eth1', mac: labMac(HOST_ID.backup, 1), peerNs: priv.ns, peerDev: 'backup', bridge: 'br0' },
    ] : []),
    ...servers.map((s, k) => ({ ns: s.ns, dev: 'eth0', mac: labMac(serverHostId(k + 1), 0), peerNs: priv.ns, peerDev: s.role, bridge: 'br0' })),
  ];
  const addrs: AddrPlan[] = [
    { ns: client.ns, dev: 'eth0', cidr: `${A.client}/24` },
    { ns: router.ns, dev: 'eth0', cidr: `${LAB_ADDRS.routerAdmin}/24` },
    ...(privateAddr ? [{ ns: router.ns, dev: 'eth1', cidr: `${A.routerPrivate}/24` }] : []),
    ...(backup ? [
      { ns: backup.ns, dev: 'eth0', cidr: `${LAB_ADDRS.backupAdmin}/24` },
      { ns: backup.ns, dev: 'eth1', cidr: `${A.backupPrivate}/24` },
    ] : []),
    ...servers.map((s, k) => ({ ns: s.ns, dev: 'eth0', cidr: `${serverAddrs[k]}/24` })),
  ];
  const routes: RoutePlan[] = servers.map((s) => ({ ns: s.ns, dst: 'default', via: A.natRouter }));
  return {
    name: o.name,
    mode: 'nat',
    hosts: [pub, priv, client, router, ...(backup ? [backup] : []), ...servers],
    bridges: [
      { ns: pub.ns, dev: 'br0' },
      { ns: priv.ns, dev: 'br0' },
    ],
    links,
    addrs,
    routes,
    namespaces: {
      client: client.ns,
      router: router.ns,
      servers: servers.map((s) => s.ns),
      switches: [pub.ns, priv.ns],
      ...(backup ? { backup: backup.ns } : {}),
      all: [pub.ns, priv.ns, client.ns, router.ns, ...(backup ? [backup.ns] : []), ...servers.map((s) => s.ns)],
    },
    vip: LAB_ADDRS.vip,
    natRouter: A.natRouter,
    routerAddr: LAB_ADDRS.routerAdmin,
    ...(privateAddr ? { routerPrivateAddr: A.routerPrivate } : {}),
    ...(backup ? { backupAddr: LAB_ADDRS.backupAdmin, backupPrivateAddr: A.backupPrivate } : {}),
    clientAddr: A.client,
    serverNames: servers.map((s) => s.role),
    serverAddrs,
    routerDevices: ['eth0', 'eth1'],
  };
}

function planDr(o: PlanOptions): LabPlan {
  const A = LAB_ADDRS.dr;
  const client = host('client', o.name, 'host', clientSysctls());
  const gw = host('gw', o.name, 'host', { 'net.ipv4.ip_forward': 1 });
  const router = host('router', o.name, 'host', routerSysctls());
  const lan = host('lan', o.name, 'switch');
  // eth0 inherits `default` when it is made; set it by name too, as the LVS-DR recipe says (all, eth0, lo).
  const servers = serverHosts(o, DR_ARP, { 'net.ipv4.conf.eth0.arp_ignore': 1, 'net.ipv4.conf.eth0.arp_announce': 2, 'net.ipv4.conf.eth0.rp_filter': 0 });
  const serverAddrs = servers.map((_, k) => `${A.serverBase}${A.serverFirst + k}`);
  const links: LinkPlan[] = [
    { ns: client.ns, dev: 'eth0', mac: labMac(HOST_ID.client, 0), peerNs: gw.ns, peerDev: 'eth0', peerMac: labMac(HOST_ID.gw, 0) },
    { ns: gw.ns, dev: 'eth1', mac: labMac(HOST_ID.gw, 1), peerNs: lan.ns, peerDev: 'gw', bridge: 'br0' },
    { ns: router.ns, dev: 'eth0', mac: labMac(HOST_ID.router, 0), peerNs: lan.ns, peerDev: 'router', bridge: 'br0' },
    ...servers.map((s, k) => ({ ns: s.ns, dev: 'eth0', mac: labMac(serverHostId(k + 1), 0), peerNs: lan.ns, peerDev: s.role, bridge: 'br0' })),
  ];
  const addrs: AddrPlan[] = [
    { ns: client.ns, dev: 'eth0', cidr: `${A.client}/24` },
    { ns: gw.ns, dev: 'eth0', cidr: `${A.gwClientSide}/24` },
    { ns: gw.ns, dev: 'eth1', cidr: `${A.gwServerSide}/24` },
    { ns: router.ns, dev: 'eth0', cidr: `${LAB_ADDRS.routerAdmin}/24` },
    ...servers.flatMap((s, k) => [
      { ns: s.ns, dev: 'eth0', cidr: `${serverAddrs[k]}/24` },
      { ns: s.ns, dev: 'lo', cidr: `${LAB_ADDRS.vip}/32` },
    ]),
  ];
  const routes: RoutePlan[] = [
    { ns: client.ns, dst: 'default', via: A.gwClientSide },
    { ns: router.ns, dst: 'default', via: A.gwServerSide },
    ...servers.map((s) => ({ ns: s.ns, dst: 'default', via: A.gwServerSide })),
  ];
  return {
    name: o.name,
    mode: 'dr',
    hosts: [lan, client, gw, router, ...servers],
    bridges: [{ ns: lan.ns, dev: 'br0' }],
    links,
    addrs,
    routes,
    namespaces: {
      client: client.ns,
      router: router.ns,
      servers: servers.map((s) => s.ns),
      switches: [lan.ns],
      gw: gw.ns,
      all: [lan.ns, client.ns, gw.ns, router.ns, ...servers.map((s) => s.ns)],
    },
    vip: LAB_ADDRS.vip,
    routerAddr: LAB_ADDRS.routerAdmin,
    clientAddr: A.client,
    gatewayAddr: A.gwClientSide,
    serverNames: servers.map((s) => s.role),
    serverAddrs,
    routerDevices: ['eth0'],
  };
}

function planDrPrivate(o: PlanOptions): LabPlan {
  const A = LAB_ADDRS.drPrivate;
  const client = host('client', o.name, 'host', clientSysctls());
  const gw = host('gw', o.name, 'host', { 'net.ipv4.ip_forward': 1 });
  const router = host('router', o.name, 'host', routerSysctls());
  const pub = host('pub', o.name, 'switch');
  const priv = host('priv', o.name, 'switch');
  const servers = serverHosts(o, DR_ARP, { 'net.ipv4.conf.eth0.arp_ignore': 1, 'net.ipv4.conf.eth0.arp_announce': 2, 'net.ipv4.conf.eth0.rp_filter': 0 });
  const serverAddrs = servers.map((_, k) => `${A.serverBase}${A.serverFirst + k}`);
  const links: LinkPlan[] = [
    { ns: client.ns, dev: 'eth0', mac: labMac(HOST_ID.client, 0), peerNs: pub.ns, peerDev: 'client', bridge: 'br0' },
    { ns: router.ns, dev: 'eth0', mac: labMac(HOST_ID.router, 0), peerNs: pub.ns, peerDev: 'router', bridge: 'br0' },
    { ns: router.ns, dev: 'eth1', mac: labMac(HOST_ID.router, 1), peerNs: priv.ns, peerDev: 'router', bridge: 'br0' },
    { ns: gw.ns, dev: 'eth0', mac: labMac(HOST_ID.gw, 0), peerNs: pub.ns, peerDev: 'gw', bridge: 'br0' },
    { ns: gw.ns, dev: 'eth1', mac: labMac(HOST_ID.gw, 1), peerNs: priv.ns, peerDev: 'gw', bridge: 'br0' },
    ...servers.map((s, k) => ({ ns: s.ns, dev: 'eth0', mac: labMac(serverHostId(k + 1), 0), peerNs: priv.ns, peerDev: s.role, bridge: 'br0' })),
  ];
  const addrs: AddrPlan[] = [
    { ns: client.ns, dev: 'eth0', cidr: `${A.client}/24` },
    { ns: router.ns, dev: 'eth0', cidr: `${LAB_ADDRS.routerAdmin}/24` },
    // The router's kernel on the private LAN: its route there is what sends the real servers' frames out of eth1.
    { ns: router.ns, dev: 'eth1', cidr: `${A.routerPrivate}/24` },
    { ns: gw.ns, dev: 'eth0', cidr: `${A.gwPublic}/24` },
    { ns: gw.ns, dev: 'eth1', cidr: `${A.gwPrivate}/24` },
    ...servers.flatMap((s, k) => [
      { ns: s.ns, dev: 'eth0', cidr: `${serverAddrs[k]}/24` },
      { ns: s.ns, dev: 'lo', cidr: `${LAB_ADDRS.vip}/32` },
    ]),
  ];
  const routes: RoutePlan[] = [
    { ns: router.ns, dst: 'default', via: A.gwPublic },
    ...servers.map((s) => ({ ns: s.ns, dst: 'default', via: A.gwPrivate })),
  ];
  return {
    name: o.name,
    mode: 'dr',
    hosts: [pub, priv, client, gw, router, ...servers],
    bridges: [
      { ns: pub.ns, dev: 'br0' },
      { ns: priv.ns, dev: 'br0' },
    ],
    links,
    addrs,
    routes,
    namespaces: {
      client: client.ns,
      router: router.ns,
      servers: servers.map((s) => s.ns),
      switches: [pub.ns, priv.ns],
      gw: gw.ns,
      all: [pub.ns, priv.ns, client.ns, gw.ns, router.ns, ...servers.map((s) => s.ns)],
    },
    vip: LAB_ADDRS.vip,
    routerAddr: LAB_ADDRS.routerAdmin,
    routerPrivateAddr: A.routerPrivate,
    clientAddr: A.client,
    gatewayAddr: A.gwPublic,
    serverNames: servers.map((s) => s.role),
    serverAddrs,
    routerDevices: ['eth0', 'eth1'],
  };
}
