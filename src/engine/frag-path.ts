// The engine's path for IP fragments of TCP and UDP (frags.ts says why they are
// forwarded along their flow rather than reassembled). Cold: unfragmented
// packets never come here. A first fragment takes the connection path of a
// whole packet (Engine.firstFragment); a later one follows the connection its
// first fragment took, with only its IP header rewritten in NAT (the ports and
// the L4 checksum are in the first fragment alone); one that comes before its
// first is held and sent after it, appended to the batch.
import { tunnelXmit } from './tunnel.js';
import { readU16 } from '../packet/bytes.js';
import { parseFrame } from '../packet/parse.js';
import { rewriteDst, rewriteSrc } from '../packet/rewrite.js';
import { IPV4_ID } from '../packet/ipv4.js';
import { VERDICT_DROP, VERDICT_PASS, VERDICT_TX, type Batch } from '../frames/batch.js';
import * as C from './counters.js';
import { decrementTtl, type Engine } from './engine.js';
import { FLOW_FWD, FLOW_OPEN, FLOW_PASSED, HOLD_BYTES, type FragTable } from './frags.js';
import { FWD_NAT, FWD_TUNNEL } from './services.js';

/** A TCP or UDP fragment (Engine.ipv4 sends them here): its verdict. */
export function handleFragment(e: Engine, batch: Batch, i: number, now: number): number {
  const info = e.info;
  const fr = e.frags;
  const id = readU16(batch.buf, info.l3 + IPV4_ID);
  let f = fr.find(info.saddr, info.daddr, info.proto, id);
  if (f === 0) {
    if (!mayBeOurs(e, info.saddr, info.daddr)) return e.pass(C.PASS_NOT_OURS);
    f = fr.open(info.saddr, info.daddr, info.proto, id, now);
    if (f === 0) return e.drop(batch, i, C.DROP_FRAG_STORE_FULL);
  }
  const state = fr.state[f];
  if (state === FLOW_PASSED) return e.pass(C.PASS_NOT_OURS);
  const r = fr.add(f, info.fragOff, info.l4Len, info.moreFrags);
  if (r !== 0) return e.drop(batch, i, r);
  let v: number;
  if (info.fragOff === 0) v = first(e, batch, i, f, now);
  else if (state === FLOW_FWD) v = later(e, batch, i, f);
  else v = hold(e, batch, i, f);
  if (fr.state[f] !== FLOW_OPEN && fr.complete(f)) fr.free(f);
  return v;
}

/**
 * Whether a fragment of an unknown datagram may belong to a virtual service:
 * one to an address the router owns (a client's), or one from a real server (a
 * NAT reply: a later fragment has no ports to look its connection up by, so it
 * is held until its first fragment says). Anything else is routed traffic.
 */
function mayBeOurs(e: Engine, saddr: number, daddr: number): boolean {
  return e.owned.has(daddr) || e.neigh.resolve(saddr) !== 0;
}

/** The first fragment: the connection path; its flow then sends what was held. */
function first(e: Engine, batch: Batch, i: number, f: number, now: number): number {
  const fr = e.frags;
  const v = e.firstFragment(batch, i, now);
  const conn = e.fragConn;
  if (v === VERDICT_PASS) fr.passed(f);
  else if (v !== VERDICT_TX || conn === 0) fr.refuse(f, C.DROP_FRAGMENT, C.DROP_FRAGMENT);
  else {
    fr.forwarded(f, conn & 0x7fffffff, conn >>> 31);
    release(e, batch, f);
  }
  return v;
}

/**
 * A later fragment of a forwarded datagram, on its first fragment's connection
 * (checked to be the same flow still: the slot may have been reused since).
 * Stats count its bytes, not a packet: IPVS counts a reassembled datagram once.
 */
function later(e: Engine, batch: Batch, i: number, f: number): number {
  const info = e.info;
  const conns = e.conns;
  const rt = e.services;
  const slot = e.frags.conn[f];
  const reply = e.frags.dir[f] === 1;
  const ok = conns.isLive(slot) && conns.protoOf(slot) === info.proto && (reply
    ? conns.daddrOf(slot) === info.saddr && conns.caddrOf(slot) === info.daddr
    : conns.caddrOf(slot) === info.saddr && conns.vaddrOf(slot) === info.daddr);
  if (!ok) return e.drop(batch, i, C.DROP_FRAGMENT);
  const dest = conns.destOf(slot);
  if (reply) {
    if (info.ttl <= 1) return e.drop(batch, i, C.DROP_TTL);
    const peer = conns.peer[slot];
    if (peer === 0) return e.drop(batch, i, C.DROP_NO_NEIGH);
    // A fragment has no DF: over the egress MTU it is cut again (fragment-out.ts).
    if (info.totalLen > e.l2.ifMtu[e.l2.peerIf[peer]] && !e.fragmentLater(i)) return e.drop(batch, i, C.DROP_TOO_BIG);
    rt.destOutBytes[dest] += info.totalLen;
    rewriteSrc(batch.buf, info, conns.vaddrOf(slot) | 0, 0);
    decrementTtl(batch.buf, info.l3);
    e.toPeer(batch, i, peer);
    return VERDICT_TX;
  }
  const fwd = rt.destFwd[dest];
  // LVS-TUN: a later fragment goes inside its own outer header, as the first did (the real server reassembles).
  if (fwd === FWD_TUNNEL) return tunnelXmit(e, batch, i, info, dest, conns.vaddrOf(slot), false);
  const neigh = e.destNeighbour(dest);
  if (neigh === 0) return e.drop(batch, i, C.DROP_NO_NEIGH);
  if (info.totalLen > e.l2.ifMtu[e.neigh.neighIf[neigh]] && !e.fragmentLater(i)) return e.drop(batch, i, C.DROP_TOO_BIG);
  rt.destInBytes[dest] += info.totalLen;
  if (fwd === FWD_NAT) rewriteDst(batch.buf, info, conns.daddrOf(slot) | 0, 0);
  e.toNeighbour(batch, i, neigh);
  return VERDICT_TX;
}

/** Before its first fragment: copied into the store; the frame itself is not sent (and not a drop). */
function hold(e: Engine, batch: Batch, i: number, f: number): number {
  const fr = e.frags;
  if (!fr.hold(f, batch.buf, batch.off[i], batch.len[i], batch.ifIn[i])) {
    // Without this fragment the datagram cannot complete: free what it holds for others.
    fr.refuse(f, C.DROP_FRAG_STORE_FULL);
    return e.drop(batch, i, C.DROP_FRAG_STORE_FULL);
  }
  batch.reason[i] = 0;
  return VERDICT_DROP;
}

/**
 * Sends flow f's held frames: each is appended to the batch (after the frames
 * received, which process() does not revisit), parsed and forwarded like a
 * later fragment. What the batch has no room for waits for the next batch.
 */
function release(e: Engine, batch: Batch, f: number): void {
  const fr = e.frags;
  for (let k = fr.firstHeld(f); k !== 0; k = fr.firstHeld(f)) {
    const len = fr.holdLen[k];
    const j = batch.count;
    if (j >= batch.slots) return;
    // Past everything this batch holds, frames grown by LVS-TUN or ICMP errors included (Engine.spill).
    const at = e.spill(batch, len);
    if (at < 0) return;
    appendHeld(batch, fr, k, at, len);
    fr.shiftHeld(f);
    parseFrame(batch.buf, at, len, e.info);
    const v = later(e, batch, j, f);
    batch.verdict[j] = v;
    if (v === VERDICT_TX) e.appendedTx++;
  }
}

function appendHeld(batch: Batch, fr: FragTable, k: number, at: number, len: number): void {
  const src = fr.holdBuf, dst = batch.buf, from = k * HOLD_BYTES;
  for (let b = 0; b < len; b++) dst[at + b] = src[from + b];
  batch.append(at, len, fr.holdIf[k]);
}

/** After a batch: flows whose held frames did not fit an earlier batch. */
export function releaseWaiting(e: Engine, batch: Batch): void {
  const fr = e.frags;
  for (let f = 1; f <= fr.flows && fr.waiting !== 0; f++) {
    if (fr.state[f] !== FLOW_FWD || fr.firstHeld(f) === 0) continue;
    release(e, batch, f);
    if (fr.firstHeld(f) !== 0) return; // still no room
    if (fr.complete(f)) fr.free(f);
  }
}
