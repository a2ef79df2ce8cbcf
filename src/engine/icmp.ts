// ICMP: echo requests to an owned address are answered in place; ICMP errors
// about a known flow are translated like IPVS's ip_vs_in_icmp/ip_vs_out_icmp:
// the embedded datagram is looked up with its addresses reversed (it is a
// packet the router sent), then outer and embedded headers are rewritten so the
// error reaches the host that sent the offending packet.
import { PROTO_TCP, PROTO_UDP } from '../model/index.js';
import { readU16, writeU16 } from '../packet/bytes.js';
import { csumReplace16, sum16 } from '../packet/checksum.js';
import { ethToReply } from '../packet/ethernet.js';
import type { FrameInfo } from '../packet/parse.js';
import { rewriteDst, rewriteIcmpInnerDst, rewriteIcmpInnerSrc, rewriteSrc } from '../packet/rewrite.js';
import { VERDICT_TX, type Batch } from '../frames/batch.js';
import { DROP_BAD_ICMP_CSUM, DROP_ICMP_NO_CONN, DROP_NO_NEIGH, PASS_ICMP } from './counters.js';
import type { Engine } from './engine.js';
import { FWD_NAT, FWD_TUNNEL } from './services.js';
import { tunnelXmit } from './tunnel.js';

const ICMP_ECHO_REPLY = 0;
const ICMP_ECHO_REQUEST = 8;

export function handleIcmp(engine: Engine, batch: Batch, i: number, info: FrameInfo, now: number): number {
  if (info.icmpType === ICMP_ECHO_REQUEST && engine.owned.has(info.daddr)) {
    // icmp_rcv drops a message whose checksum (over the whole ICMP message) does
    // not sum to 0xffff before any echo is considered; answering it would reflect garbage.
    if (sum16(batch.buf, info.l4, info.l4Len) !== 0xffff) return engine.drop(batch, i, DROP_BAD_ICMP_CSUM);
    return echoReply(engine, batch, i, info);
  }
  // ip_vs_in_icmp/ip_vs_out_icmp translate only destination unreachable, source
  // quench and time exceeded; other errors are not about a flow's delivery.
  const t = info.icmpType;
  if ((t !== 3 && t !== 4 && t !== 11) || info.inner < 0 || info.isFragment || (info.innerProto !== PROTO_TCP && info.innerProto !== PROTO_UDP)) {
    return engine.pass(PASS_ICMP);
  }
  // The embedded packet went out from the router, so it matches the flow reversed.
  const node = engine.conns.lookup(info.innerProto, info.innerDaddr | 0, info.innerDport, info.innerSaddr | 0, info.innerSport);
  if (node === 0) return engine.owned.has(info.daddr) ? engine.drop(batch, i, DROP_ICMP_NO_CONN) : engine.pass(PASS_ICMP);
  const slot = node >>> 1;
  const conns = engine.conns;
  conns.touch(slot, now);
  engine.counters.icmpTranslated++;
  if ((node & 1) === 0) {
    // From the client side about a reply the router sent: on to the real server.
    const dest = conns.destOf(slot);
    const fwd = engine.services.destFwd[dest];
    // ip_vs_in_icmp: a method other than NAT sends the error on as it sends the flow's packets.
    if (fwd === FWD_TUNNEL) return tunnelXmit(engine, batch, i, info, dest, conns.vaddrOf(slot), true);
    const neigh = engine.destNeighbour(dest);
    if (neigh === 0) return engine.drop(batch, i, DROP_NO_NEIGH);
    if (fwd === FWD_NAT) {
      rewriteIcmpInnerSrc(batch.buf, info, conns.daddrOf(slot) | 0, conns.dportOf(slot), batch.csumPartial[i] === 1);
      rewriteDst(batch.buf, info, conns.daddrOf(slot) | 0, 0);
    }
    engine.toNeighbour(batch, i, neigh);
    return VERDICT_TX;
  }
  // From the real server side about a packet the router forwarded: back to the client.
  const peer = conns.peer[slot];
  if (peer === 0) return engine.drop(batch, i, DROP_NO_NEIGH);
  rewriteIcmpInnerDst(batch.buf, info, conns.vaddrOf(slot) | 0, conns.vportOf(slot), batch.csumPartial[i] === 1);
  rewriteSrc(batch.buf, info, conns.vaddrOf(slot) | 0, 0);
  engine.toPeer(batch, i, peer);
  return VERDICT_TX;
}

/** Echo reply in place: swap addresses (the IP checksum is unchanged by a swap), type 8 -> 0, swap MACs. */
function echoReply(engine: Engine, batch: Batch, i: number, info: FrameInfo): number {
  const buf = batch.buf;
  const l3 = info.l3;
  for (let k = 0; k < 4; k++) {
    const t = buf[l3 + 12 + k];
    buf[l3 + 12 + k] = buf[l3 + 16 + k];
    buf[l3 + 16 + k] = t;
  }
  const l4 = info.l4;
  const oldWord = readU16(buf, l4);
  buf[l4] = ICMP_ECHO_REPLY;
  writeU16(buf, l4 + 2, csumReplace16(readU16(buf, l4 + 2), oldWord, readU16(buf, l4)));
  const itf = batch.ifIn[i];
  ethToReply(buf, batch.off[i], engine.l2.ifMac, 6 * itf);
  batch.ifOut[i] = itf;
  engine.counters.echoReplies++;
  return VERDICT_TX;
}
