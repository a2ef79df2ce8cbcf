// Builds validated, frozen service tables. Every rule here is one IPVS or ipvsadm
// enforces; a violation is a ModelError naming the service and server at fault.
import { addrText, formatIPv4, hostPort, maskToPrefix, parseIPv6 } from './addr.js';
import type { MarkRule, OwnedAddress, RealServer, ServiceTable, Switches, Timeouts, VirtualService } from './types.js';

export class ModelError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}

export interface TableSpec {
  services: VirtualService[];
  addresses?: OwnedAddress[];
  timeouts?: Partial<Timeouts>;
  marks?: MarkRule[];
  switches?: Partial<Switches>;
}

export const DEFAULT_SWITCHES: Switches = {
  connReuseMode: 1, expireNodestConn: false, expireQuiescentTemplate: false,
  dropEntry: 0, dropPacket: 0, secureTcp: 0, synProxy: 0, amemthresh: 0, amDroprate: 10,
};

let lastVersion = 0;

/**
 * Key that identifies a virtual service the way IPVS does: fwmark (and family),
 * or proto+VIP+port; written as ipvsadm lists it (`TCP 1.2.3.4:80`,
 * `TCP [2001:db8::10]:80`, `FWM 5`, `FWM 5 IPv6`).
 */
export function serviceKey(s: Pick<VirtualService, 'protocol' | 'address' | 'port' | 'fwmark' | 'address6' | 'family6'>): string {
  if (s.fwmark) return s.family6 ? `FWM ${s.fwmark} IPv6` : `FWM ${s.fwmark}`;
  return `${s.protocol.toUpperCase()} ${hostPort(s, s.port)}`;
}

/** The service is of IPv6: an IPv6 VIP, or a firewall-mark service of IPv6 packets. */
export function serviceIsV6(s: Pick<VirtualService, 'fwmark' | 'address6' | 'family6'>): boolean {
  return s.fwmark ? s.family6 === true : s.address6 !== undefined;
}

export function buildTable(spec: TableSpec): ServiceTable {
  const seen = new Set<string>();
  for (const svc of spec.services) {
    validateService(svc);
    const key = serviceKey(svc);
    if (seen.has(key)) throw new ModelError('DUPLICATE_SERVICE', `service ${key} is defined twice`);
    seen.add(key);
  }
  const timeouts: Timeouts = { tcp: 0, tcpfin: 0, udp: 0, ...spec.timeouts };
  for (const [k, v] of Object.entries(timeouts)) {
    if (!Number.isInteger(v) || v < 0) throw new ModelError('BAD_TIMEOUT', `timeout ${k} must be a whole number of seconds >= 0, got ${v}`);
  }
  for (const m of spec.marks ?? []) validateMark(m);
  for (const a of spec.addresses ?? []) validateOwned(a);
  const switches: Switches = { ...DEFAULT_SWITCHES, ...spec.switches };
  if (![0, 1, 2, 3].includes(switches.connReuseMode)) throw new ModelError('BAD_SWITCH', `conn_reuse_mode must be 0..3, got ${switches.connReuseMode}`);
  for (const [k, v] of [['drop_entry', switches.dropEntry], ['drop_packet', switches.dropPacket], ['secure_tcp', switches.secureTcp], ['syn_proxy', switches.synProxy]] as const) {
    if (![0, 1, 2, 3].includes(v)) throw new ModelError('BAD_SWITCH', `${k} must be 0..3, got ${v}`);
  }
  if (!Number.isInteger(switches.amemthresh) || switches.amemthresh < 0) throw new ModelError('BAD_SWITCH', `amemthresh must be an integer >= 0, got ${switches.amemthresh}`);
  if (!Number.isInteger(switches.amDroprate) || switches.amDroprate < 1) throw new ModelError('BAD_SWITCH', `am_droprate must be an integer >= 1, got ${switches.amDroprate}`);
  return deepFreeze({
    version: ++lastVersion,
    services: spec.services.map((s) => ({ ...s, schedFlags: [...s.schedFlags], servers: s.servers.map((r) => ({ ...r })) })),
    addresses: (spec.addresses ?? []).map((a) => ({ ...a })),
    timeouts,
    marks: (spec.marks ?? []).map((m) => ({ ...m })),
    switches,
  });
}

/** Throws the ModelError buildTable would throw for this service alone; builds no table. */
export function validateService(svc: VirtualService): void {
  const key = serviceKey(svc);
  const fail = (code: string, msg: string): never => {
    throw new ModelError(code, `service ${key}: ${msg}`);
  };
  const v6 = serviceIsV6(svc);
  if (svc.fwmark) {
    if (!Number.isInteger(svc.fwmark) || svc.fwmark < 1 || svc.fwmark > 0xffffffff) fail('BAD_FWMARK', `firewall mark must be 1..4294967295`);
  } else {
    if (svc.address6 !== undefined) checkV6(svc.address6, svc.address, 'virtual address', fail);
    else if (!svc.address) fail('BAD_ADDRESS', 'a service needs a virtual IP address or a firewall mark');
    if (!isPort(svc.port)) fail('BAD_PORT', `port must be 0..65535, got ${svc.port}`);
    // ipvsadm: "Zero port specified for non-persistent service"; a persistent port-zero service takes every port of its VIP.
    if (svc.port === 0 && !svc.persistence) fail('BAD_PORT', 'port 0 (every port) needs persistence');
  }
  if (!Number.isInteger(svc.persistence) || svc.persistence < 0) fail('BAD_PERSISTENCE', `persistence must be seconds >= 0`);
  // IPVS keeps an IPv6 service's persistence netmask as a prefix length (ipvsadm -M 64); an IPv4 one as a mask.
  if (v6) {
    if (!Number.isInteger(svc.persistMask) || svc.persistMask < 1 || svc.persistMask > 128) fail('BAD_NETMASK', `an IPv6 persistence netmask is a prefix length 1..128, got ${svc.persistMask}`);
  } else if (maskToPrefix(svc.persistMask) < 0) fail('BAD_NETMASK', `persistence netmask ${formatIPv4(svc.persistMask)} is not contiguous`);
  if (svc.onePacket && svc.protocol !== 'udp' && !svc.fwmark) fail('BAD_OPS', 'one-packet scheduling applies to UDP services only');
  const dests = new Set<string>();
  for (const rs of svc.servers) {
    checkServer(svc, rs, fail);
    const dk = hostPort(rs, rs.port);
    if (dests.has(dk)) fail('DUPLICATE_SERVER', `real server ${dk} is listed twice`);
    dests.add(dk);
  }
}

/** Throws the ModelError validateService would throw for this one server of svc. */
export function validateServer(svc: VirtualService, rs: RealServer): void {
  checkServer(svc, rs, (code, msg) => {
    throw new ModelError(code, `service ${serviceKey(svc)}: ${msg}`);
  });
}

function checkServer(svc: VirtualService, rs: RealServer, fail: (code: string, msg: string) => never): void {
  const at = `real server ${rs.name} (${addrText(rs)})`;
  if (rs.address6 !== undefined) checkV6(rs.address6, rs.address, at, fail);
  else if (!rs.address) fail('BAD_ADDRESS', `${at}: address is missing`);
  // IPVS lets only a tunnel cross families (an IPv4 datagram inside IPv6, or the reverse); tsvs tunnels within a family.
  if (serviceIsV6(svc) !== (rs.address6 !== undefined)) {
    fail('FAMILY_MISMATCH', `${at}: an ${serviceIsV6(svc) ? 'IPv6' : 'IPv4'} service needs ${serviceIsV6(svc) ? 'IPv6' : 'IPv4'} real servers`);
  }
  if (rs.address6 !== undefined && rs.forward === 'tunnel' && rs.tunnelCsum === 'remcsum') {
    fail('V6_UNSUPPORTED', `${at}: remote checksum offload (--tun-remcsum) is not offered for IPv6 tunnels; use --tun-csum`);
  }
  if (!isPort(rs.port)) fail('BAD_PORT', `${at}: port must be 0..65535`);
  if (!Number.isInteger(rs.weight) || rs.weight < 0 || rs.weight > 65535) fail('BAD_WEIGHT', `${at}: weight must be 0..65535, got ${rs.weight}`);
  for (const t of [rs.upperThreshold, rs.lowerThreshold]) {
    if (!Number.isInteger(t) || t < 0 || t > 65535) fail('BAD_THRESHOLD', `${at}: thresholds must be 0..65535`);
  }
  if (rs.upperThreshold && rs.lowerThreshold > rs.upperThreshold) fail('BAD_THRESHOLD', `${at}: lower threshold exceeds upper`);
  // ipvsadm: "the port of the real server must be the same as the virtual service" for -g and -i.
  if (rs.forward !== 'nat' && rs.port !== 0 && !svc.fwmark && svc.port !== 0 && rs.port !== svc.port) {
    fail('PORT_REMAP_NEEDS_NAT', `${at}: only NAT can map port ${svc.port} to ${rs.port}`);
  }
  checkTunnel(rs, at, fail);
}

/** ipvsadm's tunnel_types_v_options: GUE needs a port; GRE takes a checksum but not remcsum; IPIP takes neither. */
function checkTunnel(rs: RealServer, at: string, fail: (code: string, msg: string) => never): void {
  const type = rs.tunnelType ?? 'ipip';
  const csum = rs.tunnelCsum ?? 'none';
  const port = rs.tunnelPort ?? 0;
  if (rs.forward !== 'tunnel') {
    if (type !== 'ipip' || csum !== 'none' || port !== 0) fail('BAD_TUNNEL', `${at}: tunnel options need the tunnel forwarding method`);
    return;
  }
  if (!['ipip', 'gue', 'gre'].includes(type)) fail('BAD_TUNNEL', `${at}: tunnel type ${type} is not one of ipip, gue, gre`);
  if (!['none', 'csum', 'remcsum'].includes(csum)) fail('BAD_TUNNEL_CSUM', `${at}: tunnel checksum ${csum} is not one of none, csum, remcsum`);
  if (type === 'gue') {
    if (!Number.isInteger(port) || port < 1 || port > 65535) fail('BAD_TUNNEL_PORT', `${at}: a gue tunnel needs a tunnel port 1..65535`);
  } else if (port !== 0) fail('BAD_TUNNEL_PORT', `${at}: a tunnel port applies to gue only, not ${type}`);
  if (type === 'ipip' && csum !== 'none') fail('BAD_TUNNEL_CSUM', `${at}: an ipip tunnel has no checksum option`);
  if (type === 'gre' && csum === 'remcsum') fail('BAD_TUNNEL_CSUM', `${at}: remote checksum offload applies to gue only, not gre`);
}

function validateMark(m: MarkRule): void {
  const at = `mark rule ${m.origin}`;
  if (!Number.isInteger(m.mark) || m.mark < 1 || m.mark > 0xffffffff) throw new ModelError('BAD_FWMARK', `${at}: mark must be 1..4294967295`);
  const max = m.address6 !== undefined ? 128 : 32;
  if (!Number.isInteger(m.prefixLen) || m.prefixLen < 0 || m.prefixLen > max) throw new ModelError('BAD_NETMASK', `${at}: prefix length must be 0..${max}`);
  if (m.address6 !== undefined && (parseIPv6(m.address6) ?? '::') !== m.address6) throw new ModelError('BAD_ADDRESS', `${at}: "${m.address6}" is not a canonical IPv6 network`);
  if (!isPort(m.portLo) || !isPort(m.portHi) || m.portLo > m.portHi) throw new ModelError('BAD_PORT', `${at}: port range ${m.portLo}:${m.portHi} is not valid`);
}

/** IPv6 text held by the model must be canonical (the data plane and every key compare it as a string), with `address` 0. */
function checkV6(text: string, address: number, at: string, fail: (code: string, msg: string) => never): void {
  const canon = parseIPv6(text);
  if (canon === null) fail('BAD_ADDRESS', `${at}: "${text}" is not an IPv6 address`);
  if (canon !== text) fail('BAD_ADDRESS', `${at}: IPv6 address "${text}" is not in its canonical form ${canon} (RFC 5952)`);
  if (text === '::') fail('BAD_ADDRESS', `${at}: address is missing (:: is the unspecified address)`);
  if (address !== 0) fail('BAD_ADDRESS', `${at}: an IPv6 address has address 0 beside its text`);
}

function validateOwned(a: OwnedAddress): void {
  const at = `${a.role} address ${addrText(a)} on ${a.device}`;
  const fail = (code: string, msg: string): never => {
    throw new ModelError(code, msg);
  };
  if (a.address6 !== undefined) checkV6(a.address6, a.address, at, fail);
  const max = a.address6 !== undefined ? 128 : 32;
  if (!Number.isInteger(a.prefixLen) || a.prefixLen < 0 || a.prefixLen > max) fail('BAD_NETMASK', `${at}: prefix length must be 0..${max}`);
}

function isPort(p: number): boolean {
  return Number.isInteger(p) && p >= 0 && p <= 65535;
}

/**
 * A new table version from parts that are already valid (services checked one
 * by one with validateService/validateServer): the control plane's changes
 * build tables this way, sharing every service object a change did not touch.
 */
export function assembleTable(parts: Omit<ServiceTable, 'version'>): ServiceTable {
  return deepFreeze({ ...parts, version: ++lastVersion });
}

/** Freezes o and everything it holds; what is frozen already (shared with an older table) is not walked again. */
function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
