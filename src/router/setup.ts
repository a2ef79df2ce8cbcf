// Wires a compiled lvs.cf into an engine: the router's interfaces are the
// devices lvs.cf names (`address = VIP eth0:1`, `nat_router = IP eth1:0`), with
// MACs given or deterministic defaults, and neighbours given as IP=MAC. (tsvs
// start adds the devices its routes reach the real servers through: egress.ts.)
import { Engine } from '../engine/engine.js';
import { interfaceFor as routeIf, onLinkInterface } from '../engine/neighbours.js';
import { formatMac, parseIPv4, parseMac, type ServiceTable } from '../model/index.js';

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

/** The interface for an address (neighbours.ts's rule); with `fallback` false, -1 when no owned prefix holds it. */
export function interfaceFor(table: ServiceTable, devices: readonly string[], addr: number, fallback = true): number {
  return fallback ? routeIf(table.addresses, devices, addr) : onLinkInterface(table.addresses, devices, addr);
}

/** Adds `IP=MAC` neighbours as static entries on the interface the IP is on-link for. */
export function addNeighbours(engine: Engine, table: ServiceTable, specs: string[]): void {
  const devices = engine.l2.ifNames;
  for (const spec of specs) {
    const m = /^([^=]+)=(.+)$/.exec(spec);
    const addr = m ? parseIPv4(m[1]) : null;
    const mac = m ? parseMac(m[2]) : null;
    if (addr === null || !mac) throw new Error(`--neigh ${spec}: want IP=MAC, e.g. 198.19.0.11=52:54:00:12:34:56`);
    engine.neigh.setStatic(addr, mac, 0, interfaceFor(table, devices, addr));
  }
}

export function describeInterfaces(interfaces: RouterInterface[]): string {
  return interfaces.map((i) => `${i.name}=${formatMac(i.mac)}${i.defaulted ? ' (default)' : ''}`).join(' ');
}
