// Host and service names, the way ipvsadm reads and prints them.
//   Reading: -t/-u/-r/-M take a host name where inet_aton fails (gethostbyname,
//   IPv4 only) and a port name where the port is not a number
//   (getservbyname(name, "tcp"|"udp"|"sctp")).
//   Printing without -n: addrport_to_anyname() prints the host's name
//   (gethostbyaddr) and the port's service name (getservbyport for the
//   service's protocol), each falling back to the number when there is none.
// The interface is injected so that tests never touch DNS.
import { lookup, lookupService } from 'node:dns/promises';
import { readFileSync } from 'node:fs';

export type NameProto = 'tcp' | 'udp' | 'sctp';

export interface NameService {
  /** gethostbyname(): the IPv4 address of a name, or null. */
  hostAddress(name: string): Promise<string | null>;
  /** gethostbyaddr(): the name of an address, or null. */
  hostName(address: string): Promise<string | null>;
  /** getservbyname(). */
  servicePort(name: string, proto: NameProto): number | null;
  /** getservbyport(): the service's official name. */
  serviceName(port: number, proto: NameProto): string | null;
}

export interface ServicesDb {
  byName: Map<string, number>;
  byPort: Map<string, string>;
}

/**
 * /etc/services: "name port/proto [aliases...] [# comment]". As in glibc's
 * files backend, the first line that matches wins, and aliases name the port
 * too; getservbyport answers with the official (first) name.
 */
export function parseServices(text: string): ServicesDb {
  const byName = new Map<string, number>();
  const byPort = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const fields = raw.replace(/#.*/, '').trim().split(/\s+/);
    if (fields.length < 2) continue;
    const m = /^(\d+)\/(\w+)$/.exec(fields[1]);
    if (!m) continue;
    const port = Number(m[1]);
    if (port > 65535) continue;
    const proto = m[2];
    const key = `${port}/${proto}`;
    if (!byPort.has(key)) byPort.set(key, fields[0]);
    for (const name of [fields[0], ...fields.slice(2)]) {
      if (!byName.has(`${name}/${proto}`)) byName.set(`${name}/${proto}`, port);
    }
  }
  return { byName, byPort };
}

/** A NameService over a services database, with host lookups supplied. */
export function nameService(db: ServicesDb, hosts: Pick<NameService, 'hostAddress' | 'hostName'>): NameService {
  return {
    ...hosts,
    servicePort: (name, proto) => db.byName.get(`${name}/${proto}`) ?? null,
    serviceName: (port, proto) => db.byPort.get(`${port}/${proto}`) ?? null,
  };
}

/** The system's names: /etc/services and the resolver (getaddrinfo/getnameinfo through node:dns). */
export function systemNames(servicesFile = '/etc/services'): NameService {
  let text = '';
  try {
    text = readFileSync(servicesFile, 'utf8');
  } catch {
    // No services file: every port prints as its number, as getservbyport would.
  }
  return nameService(parseServices(text), {
    async hostAddress(name) {
      try {
        return (await lookup(name, { family: 4 })).address;
      } catch {
        return null;
      }
    },
    async hostName(address) {
      // getnameinfo with NI_NAMEREQD (node's lookupService): an address without
      // a name is an error here, and ipvsadm prints the number instead.
      try {
        return (await lookupService(address, 0)).hostname;
      } catch {
        return null;
      }
    },
  });
}

/** Names for tests and for -n: no host has a name; services come from db. */
export function numericHosts(db: ServicesDb = { byName: new Map(), byPort: new Map() }): NameService {
  return nameService(db, { hostAddress: async () => null, hostName: async () => null });
}

// ---- Printing: addrport_to_anyname() ----
// Host names are looked up (asynchronously) before formatting, so the
// formatters stay pure.

export interface Namer {
  addrPort(address: string, port: number, proto: NameProto | null): string;
}

/** addrport_to_anyname()'s "%s%s%s:%u": an IPv6 address (or its name) goes in brackets. */
const bracket = (address: string, name: string): string => (address.includes(':') ? `[${name}]` : name);

export const numericNamer: Namer = { addrPort: (address, port) => `${bracket(address, address)}:${port}` };

/** getservbyport is asked for TCP, UDP or SCTP only; other protocols (a template's "IP") print the number. */
export function nameProto(protocol: string): NameProto | null {
  const p = protocol.toLowerCase();
  return p === 'tcp' || p === 'udp' || p === 'sctp' ? p : null;
}

export async function makeNamer(numeric: boolean, addresses: Iterable<string>, names: NameService): Promise<Namer> {
  if (numeric) return numericNamer;
  const hosts = new Map<string, string>();
  await Promise.all(
    [...new Set(addresses)].map(async (a) => {
      const name = await names.hostName(a);
      if (name) hosts.set(a, name);
    }),
  );
  return {
    addrPort: (address, port, proto) => `${bracket(address, hosts.get(address) ?? address)}:${(proto && names.serviceName(port, proto)) ?? port}`,
  };
}
