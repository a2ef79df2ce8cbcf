// How the API's views write a service's address and persistence netmask, for
// both families: one place, used by the running table's view and by
// `tsvs check`'s (from-model.ts).
import { formatIPv4, serviceIsV6, type VirtualService } from '../model/index.js';

/** `address` as text ("0.0.0.0" for an IPv4 firewall-mark service, "::" for an IPv6 one) and `ipv6: true` for IPv6. */
export function viewAddress(s: Pick<VirtualService, 'address' | 'address6' | 'fwmark' | 'family6'>): { address: string; ipv6?: true } {
  if (!serviceIsV6(s)) return { address: formatIPv4(s.address) };
  return { address: s.address6 ?? '::', ipv6: true };
}

/** The persistence netmask: dotted for IPv4, the prefix length ("128") for IPv6, as ipvsadm -M takes them. */
export function persistMaskText(s: Pick<VirtualService, 'persistMask' | 'address6' | 'fwmark' | 'family6'>): string {
  return serviceIsV6(s) ? String(s.persistMask) : formatIPv4(s.persistMask);
}
