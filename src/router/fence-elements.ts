// What the fence's sets hold for a table, kept as the table changes, so that a
// change costs what it changes: a service object a new table shares with the
// old one is skipped, and of a changed service only the servers between the
// lists' common head and tail (by identity: versions share the server objects
// a change did not touch, model/diff.ts) are looked at. An element several
// services need (one NAT server in two services) is counted, and leaves the
// set when the last one goes. At ten thousand NAT servers in one service an
// add-server was 20-40 ms of the control plane's time when every change built
// every element anew; now it is the few elements it changes.
import { formatIPv4, serviceKey, type OwnedAddress, type RealServer, type ServiceTable, type VirtualService } from '../model/index.js';

export const SET_NAMES = ['owned', 'local', 'nat_tcp', 'nat_udp', 'nat_any', 'owned6', 'local6', 'nat6_tcp', 'nat6_udp', 'nat6_any'] as const;
export type SetName = (typeof SET_NAMES)[number];
/** Elements per set, as nft writes them. */
export type Sets = Record<SetName, Set<string>>;

export const newSets = (): Sets => Object.fromEntries(SET_NAMES.map((n) => [n, new Set<string>()])) as Sets;

/** A change's elements: those that enter their set and those that leave it. Nothing changes until commit(). */
export interface FencePlan {
  add: Sets;
  del: Sets;
  commit(): void;
}

/** "set\telement": one key for the counts of every set. */
type Key = string;

export class FenceElements {
  private readonly counts = new Map<Key, number>();
  /** The services as last committed, by key, each with its servers' keys (null: not NAT). */
  private readonly services = new Map<string, { svc: VirtualService; keys: (Key | null)[] }>();
  private owned: Key[] = [];

  /** `local6`: the kernel's IPv6 addresses (link-local ones too), as text. */
  constructor(local: readonly number[], local6: readonly string[] = []) {
    for (const a of local) this.counts.set(`local\t${formatIPv4(a)}`, 1);
    for (const a of local6) this.counts.set(`local6\t${a}`, 1);
  }

  /** Every element now, as the whole ruleset writes them (the install at start). */
  current(): Sets {
    const s = newSets();
    for (const k of this.counts.keys()) {
      const tab = k.indexOf('\t');
      s[k.slice(0, tab) as SetName].add(k.slice(tab + 1));
    }
    return s;
  }

  /** The elements that move when `table` replaces the committed one. */
  plan(table: ServiceTable): FencePlan {
    const delta = new Map<Key, number>();
    const bump = (k: Key | null, by: number): void => {
      if (k !== null) delta.set(k, (delta.get(k) ?? 0) + by);
    };
    const owned = [...new Set([...table.addresses].sort(byAddress).map(ownedKey))];
    for (const k of this.owned) bump(k, -1);
    for (const k of owned) bump(k, 1);
    const next = new Map<string, { svc: VirtualService; keys: (Key | null)[] }>();
    for (const svc of table.services) {
      const key = serviceKey(svc);
      const was = this.services.get(key);
      next.set(key, was && was.svc === svc ? was : { svc, keys: serviceKeys(svc, was, bump) });
    }
    for (const [key, was] of this.services) if (!next.has(key)) for (const k of was.keys) bump(k, -1);
    const add = newSets(), del = newSets();
    for (const [k, by] of delta) {
      if (by === 0) continue;
      const have = this.counts.get(k) ?? 0;
      const tab = k.indexOf('\t');
      const set = k.slice(0, tab) as SetName;
      if (have === 0 && by > 0) add[set].add(k.slice(tab + 1));
      else if (have + by === 0) del[set].add(k.slice(tab + 1));
    }
    return {
      add, del,
      commit: () => {
        for (const [k, by] of delta) {
          const n = (this.counts.get(k) ?? 0) + by;
          if (n > 0) this.counts.set(k, n);
          else this.counts.delete(k);
        }
        this.services.clear();
        for (const [key, v] of next) this.services.set(key, v);
        this.owned = owned;
      },
    };
  }
}

/**
 * The element keys of service `svc`'s servers, counted into `bump` against
 * those of its committed version `was`: the common head and tail of the two
 * server lists (the same objects) keep their keys; the servers between are
 * counted out and in. A service whose protocol or port changed is counted whole.
 */
function serviceKeys(svc: VirtualService, was: { svc: VirtualService; keys: (Key | null)[] } | undefined, bump: (k: Key | null, by: number) => void): (Key | null)[] {
  const b = svc.servers;
  if (!was || was.svc.protocol !== svc.protocol || was.svc.port !== svc.port) {
    if (was) for (const k of was.keys) bump(k, -1);
    const keys = b.map((r) => elementKey(svc, r));
    for (const k of keys) bump(k, 1);
    return keys;
  }
  const a = was.svc.servers;
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  for (let i = head; i < a.length - tail; i++) bump(was.keys[i], -1);
  const keys = was.keys.slice(0, head);
  for (let i = head; i < b.length - tail; i++) {
    const k = elementKey(svc, b[i]);
    bump(k, 1);
    keys.push(k);
  }
  for (let i = a.length - tail; i < a.length; i++) keys.push(was.keys[i]);
  return keys;
}

/**
 * A NAT server's element: its replies (address, and the port they come from)
 * are tsvs's to translate. Port 0 (a firewall-mark service's server keeps the
 * packet's port) fences every port of that address. Not NAT: none.
 */
function elementKey(svc: VirtualService, r: RealServer): Key | null {
  if (r.forward !== 'nat') return null;
  const port = r.port || svc.port;
  const [v, text] = r.address6 !== undefined ? ['nat6', r.address6] : ['nat', formatIPv4(r.address)];
  if (port === 0) return `${v}_any\t${text}`;
  return `${v}_${svc.protocol === 'tcp' ? 'tcp' : 'udp'}\t${text} . ${port}`;
}

/** IPv4 by number, then IPv6 by text: the order the sets list them in the log. */
function byAddress(x: OwnedAddress, y: OwnedAddress): number {
  if ((x.address6 === undefined) !== (y.address6 === undefined)) return x.address6 === undefined ? -1 : 1;
  if (x.address6 !== undefined) return x.address6 < y.address6! ? -1 : x.address6 > y.address6! ? 1 : 0;
  return x.address - y.address;
}

const ownedKey = (a: OwnedAddress): Key => (a.address6 !== undefined ? `owned6\t${a.address6}` : `owned\t${formatIPv4(a.address)}`);
