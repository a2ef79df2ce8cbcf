// Gratuitous ARP for the addresses the router starts serving: 5 of them, 1 s
// apart, as pulse's sendArps() runs send_arp (shared/LVS-REFERENCE.md 1.3), so
// switches and clients learn the router's MAC for every VIP and the NAT router
// address at start, after a reload that adds one, and at takeover.
import type { OwnedAddress } from '../model/index.js';
import { buildGratuitousArp } from '../packet/build.js';
import type { ArpOut } from '../engine/neighbours.js';

export const GARP_COUNT = 5;
export const GARP_INTERVAL_MS = 1000;

export class Announcer {
  private left = 0;
  private next = 0;
  private addresses: readonly OwnedAddress[] = [];
  /** The IPv6 addresses' unsolicited Neighbor Advertisements (engine/ipv6.ts), sent alongside. */
  private adverts: readonly ArpOut[] = [];

  constructor(
    private readonly devices: readonly string[],
    private readonly macs: Uint8Array,
  ) {}

  /** Announces these IPv4 addresses (and sends these IPv6 advertisements) now and GARP_COUNT - 1 more times. */
  start(addresses: readonly OwnedAddress[], now: number, adverts: readonly ArpOut[] = []): void {
    this.addresses = addresses;
    this.adverts = adverts;
    this.left = GARP_COUNT;
    this.next = now;
  }

  /** The announcements due at `now`. */
  due(now: number): ArpOut[] {
    if (this.left === 0 || now < this.next) return [];
    this.left--;
    this.next = now + GARP_INTERVAL_MS;
    return [...this.addresses.map((a) => {
      const itf = Math.max(0, this.devices.indexOf(a.device));
      return { frame: buildGratuitousArp(this.macs.subarray(6 * itf, 6 * itf + 6), a.address), itf };
    }), ...this.adverts];
  }
}
