// IPv6 fragments of TCP and UDP flows, forwarded along their flow as frag-path.ts
// forwards IPv4's (frags.ts says why, and bounds memory and time the same way,
// overlaps refused as RFC 5722 asks). A datagram is known by its addresses'
// folds, its protocol and its 32-bit identification folded to 16 bits (a
// FragTable of its own): two datagrams that fold alike are told apart when a
// later fragment is checked against its connection's full addresses, and dropped
// rather than misdelivered. The first fragment takes the connection path of a
// whole packet; a later one follows it with only its addresses rewritten (NAT),
// or inside its own outer header (LVS-TUN); one that comes first is held.
import { A6 } from '../conn/table.js';
import { readU32 } from '../packet/bytes.js';
import { parseFrame } from '../packet/parse.js';
import { IPV6_DST, IPV6_SRC, readAddr6 } from '../packet/ipv6.js';
import { decHopLimit, rewriteDst6, rewriteSrc6 } from '../packet/rewrite6.js';
import { VERDICT_DROP, VERDICT_PASS, VERDICT_TX, type Batch } from '../frames/batch.js';
import * as C from './counters.js';
import type { Engine } from './engine.js';
import { FLOW_FWD, FLOW_OPEN, FLOW_PASSED, HOLD_BYTES, type FragTable } from './frags.js';
import type { Ipv6Path } from './ipv6.js';
import { writeMacs } from './l2.js';
import { FWD_NAT, FWD_TUNNEL } from './services.js';
import { tunnel6Xmit } from './tunnel6.js';

/** A TCP or UDP fragment (Ipv6Path.frame sends them here, its addresses in p.a): its verdict. */
export function handleFragment6(p: Ipv6Path, e: Engine, batch: Batch, i: number, now: number): number {
  const info = e.info;
  const fr = p.frags!;
  const id = readU32(batch.buf, info.frag6 + 4);
  const key = (id ^ (id >>> 16)) & 0xffff;
  let f = fr.find(info.saddr, info.daddr, info.proto, key);
  if (f === 0) {
    if (!mayBeOurs(p)) return e.pass(C.PASS_NOT_OURS);
    f = fr.open(info.saddr, info.daddr, info.proto, key, now);
    if (f === 0) return e.drop(batch, i, C.DROP_FRAG_STORE_FULL);
  }
  const state = fr.state[f];
  if (state === FLOW_PASSED) return e.pass(C.PASS_NOT_OURS);
  const r = fr.add(f, info.fragOff, info.l4Len, info.moreFrags);
  if (r !== 0) return e.drop(batch, i, r);
  let v: number;
  if (info.fragOff === 0) v = first(p, e, batch, i, f, now);
  else if (state === FLOW_FWD) v = later(p, e, batch, i, f, now);
  else v = hold(e, fr, batch, i, f);
  if (fr.state[f] !== FLOW_OPEN && fr.complete(f)) fr.free(f);
  return v;
}

/** A client's fragment to an address the router owns, or a real server's (a NAT reply's, held until its first says). */
function mayBeOurs(p: Ipv6Path): boolean {
  return p.ownedAt(p.a, 4) >= 0 || p.neigh.find(p.a, 0) !== 0;
}

function first(p: Ipv6Path, e: Engine, batch: Batch, i: number, f: number, now: number): number {
  const fr = p.frags!;
  p.lastConn = 0;
  const v = p.tcpUdp(batch, i, now);
  const conn = p.lastConn;
  if (v === VERDICT_PASS) fr.passed(f);
  else if (v !== VERDICT_TX || conn === 0) fr.refuse(f, C.DROP_FRAGMENT, C.DROP_FRAGMENT);
  else {
    fr.forwarded(f, conn & 0x7fffffff, conn >>> 31);
    release(p, e, batch, f, now);
  }
  return v;
}

/** Whether the 4 words at x[xo..] are the address at a[ao..]. */
function same(x: Int32Array, xo: number, a: Int32Array, ao: number): boolean {
  return x[xo] === a[ao] && x[xo + 1] === a[ao + 1] && x[xo + 2] === a[ao + 2] && x[xo + 3] === a[ao + 3];
}

/** A later fragment on its first fragment's connection, checked to be that flow still (by its full addresses). */
function later(p: Ipv6Path, e: Engine, batch: Batch, i: number, f: number, now: number): number {
  const info = e.info;
  const conns = e.conns;
  const rt = e.services;
  const a = p.a;
  const slot = p.frags!.conn[f];
  const reply = p.frags!.dir[f] === 1;
  const w = slot * A6;
  const x = conns.addr6;
  const ok = conns.isLive(slot) && conns.isV6(slot) && conns.protoOf(slot) === info.proto && (reply
    ? same(x, w + 8, a, 0) && same(x, w, a, 4)
    : same(x, w, a, 0) && same(x, w + 4, a, 4));
  if (!ok) return e.drop(batch, i, C.DROP_FRAGMENT);
  const dest = conns.destOf(slot);
  if (reply) {
    if (info.ttl <= 1) return e.drop(batch, i, C.DROP_TTL);
    const peer = conns.peer[slot];
    if (peer === 0) return e.drop(batch, i, C.DROP_NO_NEIGH);
    if (info.totalLen > e.l2.ifMtu[e.l2.peerIf[peer]]) return e.drop(batch, i, C.DROP_TOO_BIG);
    rt.destOutBytes[dest] += info.totalLen;
    rewriteSrc6(batch.buf, info, x, w + 4, 0);
    decHopLimit(batch.buf, info.l3);
    e.toPeer(batch, i, peer);
    return VERDICT_TX;
  }
  const n = p.destNeighbour(dest, now);
  if (n === 0) return e.drop(batch, i, C.DROP_NO_NEIGH);
  const fwd = rt.destFwd[dest];
  rt.destInBytes[dest] += info.totalLen;
  // LVS-TUN: a later fragment goes inside its own outer header, as the first did (the real server reassembles).
  if (fwd === FWD_TUNNEL) return tunnel6Xmit(e, batch, i, info, dest, slot, n, false);
  if (info.totalLen > e.l2.ifMtu[p.neigh.itf[n]]) return e.drop(batch, i, C.DROP_TOO_BIG);
  if (fwd === FWD_NAT) rewriteDst6(batch.buf, info, x, w + 8, 0);
  writeMacs(batch.buf, batch.off[i], p.neigh.hdr, 3 * n);
  batch.ifOut[i] = p.neigh.itf[n];
  return VERDICT_TX;
}

/** Before its first fragment: copied into the store; the frame itself is not sent (and not a drop). */
function hold(e: Engine, fr: FragTable, batch: Batch, i: number, f: number): number {
  if (!fr.hold(f, batch.buf, batch.off[i], batch.len[i], batch.ifIn[i])) {
    fr.refuse(f, C.DROP_FRAG_STORE_FULL);
    return e.drop(batch, i, C.DROP_FRAG_STORE_FULL);
  }
  batch.reason[i] = 0;
  return VERDICT_DROP;
}

/** Sends flow f's held frames, appended to the batch as frag-path.ts's release does. */
function release(p: Ipv6Path, e: Engine, batch: Batch, f: number, now: number): void {
  const fr = p.frags!;
  for (let k = fr.firstHeld(f); k !== 0; k = fr.firstHeld(f)) {
    const len = fr.holdLen[k];
    const j = batch.count;
    if (j >= batch.slots) return;
    const at = e.spill(batch, len);
    if (at < 0) return;
    const src = fr.holdBuf, from = k * HOLD_BYTES;
    for (let b = 0; b < len; b++) batch.buf[at + b] = src[from + b];
    batch.append(at, len, fr.holdIf[k]);
    fr.shiftHeld(f);
    parseFrame(batch.buf, at, len, e.info);
    readAddr6(batch.buf, e.info.l3 + IPV6_SRC, p.a, 0);
    readAddr6(batch.buf, e.info.l3 + IPV6_DST, p.a, 4);
    const v = later(p, e, batch, j, f, now);
    batch.verdict[j] = v;
    if (v === VERDICT_TX) e.appendedTx++;
  }
}

/** After a batch: IPv6 flows whose held frames did not fit an earlier batch. */
export function releaseWaiting6(e: Engine, batch: Batch): void {
  const p = e.v6;
  const fr = p.frags!;
  for (let f = 1; f <= fr.flows && fr.waiting !== 0; f++) {
    if (fr.state[f] !== FLOW_FWD || fr.firstHeld(f) === 0) continue;
    release(p, e, batch, f, e.now);
    if (fr.firstHeld(f) !== 0) return;
    if (fr.complete(f)) fr.free(f);
  }
}
