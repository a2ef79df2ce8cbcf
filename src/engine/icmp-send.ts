// ICMP errors the router itself sends back to a client, as the kernel's
// icmp_send does for IPVS: "port unreachable" when a virtual service has no
// usable real server (ip_vs_leave) and "fragmentation needed" when an LVS-TUN
// packet with DF would not fit the egress MTU once encapsulated. The error is
// written into the batch's tailroom (Engine.spill) in place of the offending
// frame, so nothing is allocated, and it goes back out the interface and to
// the MAC the frame came from.
import { ethToReply } from '../packet/ethernet.js';
import type { FrameInfo } from '../packet/parse.js';
import { ICMP_ERROR_MAX, writeIcmpError } from '../packet/ipip.js';
import { ICMP_HLEN } from '../packet/icmp.js';
import { IPV4_MIN_HLEN } from '../packet/ipv4.js';
import { VERDICT_TX, type Batch } from '../frames/batch.js';
import { N_ICMP_RATE_LIMITED } from './counters.js';
import type { Engine } from './engine.js';

/** icmp_msgs_per_sec and icmp_msgs_burst, the kernel's defaults: a global token bucket. */
export const ICMP_PER_S = 1000;
export const ICMP_BURST = 50;
/** The most of the offending datagram an error quotes (icmp_send: 576 - IP header - ICMP header). */
const QUOTE_MAX = ICMP_ERROR_MAX - IPV4_MIN_HLEN - ICMP_HLEN;

/**
 * Frame i becomes an ICMP error (type, code, rest) from the address it was sent
 * to back to its sender. Returns VERDICT_TX, or 0 when none may be sent (rate
 * limit, no room, a source icmp_send never answers): the caller then drops the
 * frame under its own reason. `counter` is the Counters.n slot counting it.
 */
export function sendIcmpError(engine: Engine, batch: Batch, i: number, info: FrameInfo, type: number, code: number, rest: number, counter: number): number {
  // icmp_send answers no datagram from 0.0.0.0, a multicast or the broadcast address.
  const src = info.saddr;
  if (src === 0 || src >= 0xe0000000) return 0;
  if (!engine.icmpLimit.take(engine.now)) {
    engine.counters.n[N_ICMP_RATE_LIMITED]++;
    return 0;
  }
  const buf = batch.buf;
  const o = batch.off[i];
  const l2len = info.l3 - o;
  const quote = info.totalLen < QUOTE_MAX ? info.totalLen : QUOTE_MAX;
  const at = engine.spill(batch, l2len + IPV4_MIN_HLEN + ICMP_HLEN + quote);
  if (at < 0) return 0;
  buf.copyWithin(at + l2len + IPV4_MIN_HLEN + ICMP_HLEN, info.l3, info.l3 + quote);
  buf.copyWithin(at, o, o + l2len);
  const itf = batch.ifIn[i];
  ethToReply(buf, at, engine.l2.ifMac, 6 * itf);
  writeIcmpError(buf, at + l2len, quote, type, code, rest, buf[info.l3 + 1], engine.nextIpId(), info.daddr, src);
  batch.off[i] = at;
  batch.len[i] = l2len + IPV4_MIN_HLEN + ICMP_HLEN + quote;
  batch.ifOut[i] = itf;
  clearOffload(batch, i);
  engine.counters.n[counter]++;
  return VERDICT_TX;
}

/** A frame the engine wrote whole carries no offload work for the kernel. */
export function clearOffload(batch: Batch, i: number): void {
  batch.csumPartial[i] = 0;
  batch.gsoType[i] = 0;
  batch.gsoSize[i] = 0;
  batch.hdrLen[i] = 0;
  batch.csumStart[i] = 0;
  batch.csumOffset[i] = 0;
}
