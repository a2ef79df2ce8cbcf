// What a received advertisement must match in this instance's configuration
// before the state machine sees it, in keepalived's order (vrrp_check_packet
// and its dispatcher): VRID, the wire checks (vrrp-wire.ts), version, v2
// authentication and interval, unicast or multicast, the unicast source. The
// virtual addresses are compared but, as keepalived does, a mismatch is only
// reported and counted: the advert still counts.
import { formatIPv4 } from '../model/index.js';
import type { VrrpSettings } from './vrrp-config.js';
import { type Advert, AUTH_NONE, AUTH_PASS, authPassBytes, decodeAdvert, type IpPacket, type Rejected, type RejectCode } from './vrrp-wire.js';

export type Checked = { ok: true; advert: Advert; warning: string | null } | Rejected;

export function checkAdvert(s: VrrpSettings, pkt: IpPacket): Checked {
  const from = formatIPv4(pkt.src);
  // keepalived finds the instance by the VRID byte before it checks anything:
  // another group's adverts on the LAN are not errors of this one.
  if (pkt.payload.length >= 2 && pkt.payload[1] !== s.vrid) return reject('vrid_err', `received VRID mismatch. Received ${pkt.payload[1]}, Expected ${s.vrid}`);
  // keepalived: "MUST verify that the IPv4 TTL/IPv6 HL is 255 (but not if unicast)".
  const d = decodeAdvert(pkt.payload, { src: pkt.src, dst: pkt.dst, ttl: s.unicast ? null : pkt.ttl });
  if (!d.ok) return d;
  const a = d.advert;
  if (a.version !== s.version) return reject('vers_err', `wrong VRRP version from ${from}. Received ${a.version} and expect ${s.version}`);
  const v2 = a.version === 2 ? checkV2(s, a, from) : null;
  if (v2) return v2;
  if (isMulticast(pkt.dst) === s.unicast) {
    const [want, got] = s.unicast ? ['un', 'mult'] : ['mult', 'un'];
    return reject('addr_list_err', `Expected ${want}icast packet but received ${got}icast packet from ${from}`);
  }
  if (s.unicast && !s.unicastPeers.includes(pkt.src)) return reject('unicast_src_err', `unicast source address ${from} not a unicast peer`);
  return { ok: true, advert: a, warning: addressWarning(s, a, from) };
}

/** RFC 3768 7.1: "MUST perform authentication specified by Auth Type" and "MUST verify that the Adver Interval ... is the same as the locally configured". */
function checkV2(s: VrrpSettings, a: Advert, from: string): Rejected | null {
  const want = s.authPass === null ? AUTH_NONE : AUTH_PASS;
  if (a.authType !== want) return reject('authtype_mismatch', `received a ${a.authType} auth from ${from}, expecting ${want}!`);
  if (s.authPass !== null && !sameBytes(a.authData, authPassBytes(s.authPass))) return reject('auth_failure', `received an invalid passwd from ${from}!`);
  // keepalived: "to prevent concurent VRID running => multiple master in 1 VRID".
  if (a.interval * 1000 !== s.advertInt) return reject('advert_interval_err', `advertisement interval mismatch with ${from} mine=${s.advertInt / 1000} sec rcv'd=${a.interval} sec`);
  return null;
}

/** RFC 3768 7.1: "MAY verify that the IP address(es) associated with the VRID are valid". */
function addressWarning(s: VrrpSettings, a: Advert, from: string): string | null {
  if (a.addresses.length !== s.virtualAddresses.length) return `expected ${s.virtualAddresses.length} VIPs but received ${a.addresses.length}`;
  const missing = s.virtualAddresses.find((v) => !a.addresses.includes(v));
  return missing === undefined ? null : `ip address associated with VRID ${s.vrid} not present in advert from ${from}: ${formatIPv4(missing)}`;
}

function isMulticast(addr: number): boolean {
  return addr >>> 28 === 0xe;
}

function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function reject(code: RejectCode, reason: string): Rejected {
  return { ok: false, code, reason };
}
