// The ARP the router sends itself: requests for real servers' MACs (at start,
// when a frame found its next hop unknown, and every refresh period so a
// changed MAC is learnt), and gratuitous ARP for the addresses it starts
// serving: 5 of them, 1 s apart, as pulse's send_arp does.
import type { Engine } from '../engine/engine.js';
import { buildArp, buildGratuitousArp } from '../packet/build.js';
import type { ServiceTable } from '../model/index.js';
import { interfaceFor } from './setup.js';

export const GARP_COUNT = 5;
/** A learned neighbour not confirmed for this long (three refreshes unanswered) is failed. */
export const NEIGH_MAX_AGE_MS = 90_000;
export const GARP_INTERVAL_MS = 1000;
/** Least time between two requests for one address. */
const REQUEST_GAP_MS = 1000;

export interface OutFrame {
  frame: Uint8Array;
  itf: number;
}

export class ArpAgent {
  private readonly lastAsked = new Map<number, number>();
  private garpLeft = 0;
  private nextGarp = 0;

  constructor(
    private readonly engine: Engine,
    private table: ServiceTable,
  ) {}

  setTable(table: ServiceTable): void {
    this.table = table;
  }

  /** Gratuitous ARP for every owned address, now and then GARP_COUNT-1 more times. */
  announce(now: number): void {
    this.garpLeft = GARP_COUNT;
    this.nextGarp = now;
  }

  /** Frames due at `now`: gratuitous ARP and requests for unknown or stale neighbours. */
  due(now: number, refresh: boolean): OutFrame[] {
    const out: OutFrame[] = [];
    if (this.garpLeft > 0 && now >= this.nextGarp) {
      this.garpLeft--;
      this.nextGarp = now + GARP_INTERVAL_MS;
      for (const a of this.table.addresses) {
        const itf = this.engine.l2.ifIndex(a.device);
        out.push({ frame: buildGratuitousArp(this.mac(itf), a.address), itf });
      }
    }
    const l2 = this.engine.l2;
    if (refresh) l2.ageOut(now, NEIGH_MAX_AGE_MS);
    const wanted = new Set<number>([...l2.missing.keys(), ...l2.failedAddresses()]);
    for (const s of this.table.services) for (const r of s.servers) if (refresh || l2.resolve(r.address) === 0) wanted.add(r.address);
    for (const addr of wanted) {
      if (now - (this.lastAsked.get(addr) ?? -Infinity) < REQUEST_GAP_MS) continue;
      this.lastAsked.set(addr, now);
      out.push(this.request(addr));
    }
    return out;
  }

  /** Who-has addr: from the NAT router address when it lives on that interface, else an ARP probe (sender 0.0.0.0). */
  request(addr: number): OutFrame {
    const names = this.engine.l2.ifNames;
    const itf = Math.max(0, interfaceFor(this.table, names, addr));
    const own = this.table.addresses.find((a) => a.role === 'nat_router' && a.device === names[itf]);
    const mac = this.mac(itf);
    const frame = buildArp({ srcMac: mac, dstMac: 'ff:ff:ff:ff:ff:ff', op: 1, senderMac: mac, senderIp: own?.address ?? 0, targetIp: addr });
    return { frame, itf };
  }

  private mac(itf: number): Uint8Array {
    return this.engine.l2.ifMac.slice(6 * itf, 6 * itf + 6);
  }
}
