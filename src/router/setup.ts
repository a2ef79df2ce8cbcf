// Wires a compiled lvs.cf into an engine: the router's interfaces are the
// devices lvs.cf names (`address = VIP eth0:1`, `nat_router = IP eth1:0`), with
// MACs given or deterministic defaults, and neighbours given as IP=MAC.
import { Engine } from '../engine/engine.js';
import { NEIGH_STATIC } from '../engine/l2.js';
import { formatMac, parseIPv4, parseMac, prefixToMask, type ServiceTable } from '../model/index.js';

export interface RouterInterface {
  name: string;
  mac: Uint8Array;
  /** True when the MAC is tsvs's deterministic default, not one the user gave. */
  defaulted: boolean;
}

/** The VIPs' devices first, then the NAT router's, each once; `eth0` when lvs.cf names none. */
export function tableDevices(table: ServiceTable): string[] {
  const names: string[] = [];
  const ordered = [...table.addresses.filter((a) => a.role === 'vip'), ...table.addresses.filter((a) => a.role !== 'vip')];
  for (const a of ordered) if (!names.includes(a.device)) names.push(a.device);
  return names.length ? names : ['eth0'];
}

/** Locally administered, stable per interface position: 02:74:73:76:00:NN ("tsv"). */
export function defaultMac(index: number): Uint8Array {
  return Uint8Array.from([0x02, 0x74, 0x73, 0x76, (index >> 8) & 0xff, (index + 1) & 0xff]);
}

export function routerInterfaces(table: ServiceTable, macs: Record<string, string> = {}): RouterInterface[] {
  const devices = tableDevices(table);
  for (const name of Object.keys(macs)) {
    if (!devices.includes(name)) throw new Error(`--mac ${name}=...: lvs.cf names no device ${name} (devices: ${devices.join(', ')})`);
  }
  return devices.map((name, i) => {
    const given = macs[name];
    if (given === undefined) return { name, mac: defaultMac(i), defaulted: true };
    const mac = parseMac(given);
    if (!mac) throw new Error(`--mac ${name}=${given}: not a MAC address (want aa:bb:cc:dd:ee:ff)`);
    return { name, mac, defaulted: false };
  });
}

/**
 * The interface an address is on-link for: the device of an owned address
 * whose prefix contains it; else, for real servers, the NAT router's device
 * (NAT) or the first device; -1 when nothing fits and no fallback is wanted.
 */
export function interfaceFor(table: ServiceTable, devices: string[], addr: number, fallback = true): number {
  let best = -1;
  let bestLen = -1;
  for (const a of table.addresses) {
    const mask = prefixToMask(a.prefixLen);
    if (((addr & mask) >>> 0) === ((a.address & mask) >>> 0) && a.prefixLen > bestLen) {
      best = devices.indexOf(a.device);
      bestLen = a.prefixLen;
    }
  }
  if (best >= 0 || !fallback) return best;
  const nat = table.addresses.find((a) => a.role === 'nat_router');
  return nat ? devices.indexOf(nat.device) : 0;
}

/** Adds `IP=MAC` neighbours as static entries on the interface the IP is on-link for. */
export function addNeighbours(engine: Engine, table: ServiceTable, specs: string[]): void {
  const devices = engine.l2.ifNames;
  for (const spec of specs) {
    const m = /^([^=]+)=(.+)$/.exec(spec);
    const addr = m ? parseIPv4(m[1]) : null;
    const mac = m ? parseMac(m[2]) : null;
    if (addr === null || !mac) throw new Error(`--neigh ${spec}: want IP=MAC, e.g. 198.19.0.11=52:54:00:12:34:56`);
    engine.l2.learn(addr, mac, 0, interfaceFor(table, devices, addr), NEIGH_STATIC);
  }
}

export function describeInterfaces(interfaces: RouterInterface[]): string {
  return interfaces.map((i) => `${i.name}=${formatMac(i.mac)}${i.defaulted ? ' (default)' : ''}`).join(' ');
}
