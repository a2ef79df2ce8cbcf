// ARP for Ethernet and IPv4 only (RFC 826): htype 1, ptype 0x0800, hlen 6, plen 4.
// Offsets are relative to the ARP header start (the frame's l3).
import { readU16, readU32, writeU16, writeU32 } from './bytes.js';
import { copyMac } from './ethernet.js';

export const ARP_HTYPE = 0;
export const ARP_PTYPE = 2;
export const ARP_HLEN = 4;
export const ARP_PLEN = 5;
export const ARP_OP = 6;
/** Sender hardware/protocol address, target hardware/protocol address. */
export const ARP_SHA = 8;
export const ARP_SPA = 14;
export const ARP_THA = 18;
export const ARP_TPA = 24;
/** Length of an Ethernet/IPv4 ARP packet. */
export const ARP_LEN = 28;

export const ARP_HTYPE_ETHERNET = 1;
export const ARP_OP_REQUEST = 1;
export const ARP_OP_REPLY = 2;

/** True for the only ARP flavour we speak: Ethernet hardware, IPv4 protocol. */
export function arpIsEthIpv4(b: Uint8Array, a: number): boolean {
  return (
    readU16(b, a + ARP_HTYPE) === ARP_HTYPE_ETHERNET && readU16(b, a + ARP_PTYPE) === 0x0800 &&
    b[a + ARP_HLEN] === 6 && b[a + ARP_PLEN] === 4
  );
}

export function arpOp(b: Uint8Array, a: number): number {
  return readU16(b, a + ARP_OP);
}

export function arpSenderIp(b: Uint8Array, a: number): number {
  return readU32(b, a + ARP_SPA);
}

export function arpTargetIp(b: Uint8Array, a: number): number {
  return readU32(b, a + ARP_TPA);
}

/**
 * Turns a request into the reply for its target IP, in place. RFC 826: "Swap
 * hardware and protocol fields, putting the local hardware and protocol
 * addresses in the sender fields. Set the ar$op field to ares_op$REPLY."
 * The caller fixes the Ethernet header too (ethToReply): "Send the packet to the
 * (new) target hardware address on the same hardware on which the request was
 * received."
 */
export function arpToReply(buf: Uint8Array, arpOff: number, myMac: Uint8Array, myMacOff: number): void {
  const spa = readU32(buf, arpOff + ARP_SPA);
  const tpa = readU32(buf, arpOff + ARP_TPA);
  copyMac(buf, arpOff + ARP_THA, buf, arpOff + ARP_SHA);
  writeU32(buf, arpOff + ARP_TPA, spa);
  copyMac(buf, arpOff + ARP_SHA, myMac, myMacOff);
  writeU32(buf, arpOff + ARP_SPA, tpa);
  writeU16(buf, arpOff + ARP_OP, ARP_OP_REPLY);
}
