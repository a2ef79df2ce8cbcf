// Frames waiting for their next hop's MAC, as the kernel queues packets on an
// unresolved neighbour (arp_queue, unres_qlen_bytes) and sends them when the ARP
// reply comes. Without it the first packets to a real server the router has not
// resolved yet (at start, after a reload adds servers, after a server's entry
// failed) are dropped, and a client's SYN waits for its 1 s retransmission.
//
// A FIFO ring of fixed slots in one preallocated arena: a frame is held already
// rewritten (NAT's new destination, the connection's state updated), only its
// MACs and egress are left for release. Held while the neighbour is unresolved,
// at most HOLD_MS (the kernel gives up after its probes, about 3 s), then dropped
// and counted as next_hop_unknown. Full, or a frame too big to hold (a GSO
// super-frame), it is dropped as before. Nothing is allocated per frame.
import { VERDICT_DROP, VERDICT_TX, type Batch } from '../frames/batch.js';
import { DROP_NO_NEIGH, DROP_TOO_BIG, N_NEIGH_HELD, N_NEIGH_HELD_SENT } from './counters.js';
import type { Engine } from './engine.js';

const ETH_HLEN = 14;

/** Frames held at most, all next hops together, and bytes per frame (an MTU-sized frame fits). */
export const HELD_SLOTS = 256;
const SLOT_BYTES = 2048;
/** Held at most this long (ms): the kernel's three probes a second apart. */
export const HOLD_MS = 3000;

export class UnresolvedFrames {
  /** Slots in use between head and tail (both count up for ever; a released slot stays until head passes it). */
  head = 0;
  tail = 0;
  /** Slots still holding a frame. */
  count = 0;
  readonly buf = new Uint8Array(HELD_SLOTS * SLOT_BYTES);
  /** Per slot: the neighbour entry and its address (an entry reused for another address does not get the frame). */
  readonly neigh = new Int32Array(HELD_SLOTS);
  readonly addr = new Uint32Array(HELD_SLOTS);
  readonly len = new Uint16Array(HELD_SLOTS);
  readonly since = new Float64Array(HELD_SLOTS);
  readonly ifIn = new Uint8Array(HELD_SLOTS);
  /** The offload fields of a frame whose checksum the sender left partial (veth with offloads on). */
  readonly csumPartial = new Uint8Array(HELD_SLOTS);
  readonly csumStart = new Uint16Array(HELD_SLOTS);
  readonly csumOffset = new Uint16Array(HELD_SLOTS);
  readonly hdrLen = new Uint16Array(HELD_SLOTS);

  /** Copies frame i of the batch for neighbour entry n (address addr); false when it cannot be held. */
  hold(batch: Batch, i: number, n: number, addr: number, now: number): boolean {
    const len = batch.len[i];
    if (this.tail - this.head === HELD_SLOTS || len > SLOT_BYTES || batch.gsoType[i] !== 0) return false;
    const k = this.tail++ % HELD_SLOTS;
    copyBytes(batch.buf, batch.off[i], this.buf, k * SLOT_BYTES, len);
    this.neigh[k] = n;
    this.addr[k] = addr;
    this.len[k] = len;
    this.since[k] = now;
    this.ifIn[k] = batch.ifIn[i];
    this.csumPartial[k] = batch.csumPartial[i];
    this.csumStart[k] = batch.csumStart[i];
    this.csumOffset[k] = batch.csumOffset[i];
    this.hdrLen[k] = batch.hdrLen[i];
    this.count++;
    return true;
  }
}

/**
 * The inbound path found neighbour entry n (for addr) unresolved: hold the frame
 * (already rewritten) instead of dropping it. Not a drop while it waits.
 */
export function holdForNeighbour(e: Engine, batch: Batch, i: number, n: number, addr: number): number {
  if (n === 0 || !e.held.hold(batch, i, n, addr, e.now)) return e.drop(batch, i, DROP_NO_NEIGH);
  e.counters.n[N_NEIGH_HELD]++;
  batch.reason[i] = 0;
  return VERDICT_DROP;
}

/**
 * After a batch, while frames are held: those whose neighbour now has a MAC are
 * appended to the batch (past its frames, Engine.spill) and sent in order; those
 * held too long are dropped. What the batch has no room for waits for the next.
 */
export function releaseUnresolved(e: Engine, batch: Batch): void {
  const h = e.held, nb = e.neigh;
  for (let s = h.head; s !== h.tail; s++) {
    const k = s % HELD_SLOTS;
    if (h.len[k] === 0) continue; // sent or dropped already
    const n = h.neigh[k];
    const same = nb.neighAddr[n] === h.addr[k];
    if (same && nb.usable(n)) {
      if (!append(e, batch, k, n)) break;
    } else if (!same || e.now - h.since[k] >= HOLD_MS) {
      e.counters.drops[DROP_NO_NEIGH]++;
      free(h, k);
    }
  }
  while (h.head !== h.tail && h.len[h.head % HELD_SLOTS] === 0) h.head++;
}

function append(e: Engine, batch: Batch, k: number, n: number): boolean {
  const h = e.held, len = h.len[k], j = batch.count;
  if (j >= batch.slots) return false;
  const at = e.spill(batch, len);
  if (at < 0) return false;
  copyBytes(h.buf, k * SLOT_BYTES, batch.buf, at, len);
  batch.append(at, len, h.ifIn[k]);
  // A checksum the sender left to the device stays so (GSO frames are never held).
  batch.csumPartial[j] = h.csumPartial[k];
  batch.csumStart[j] = h.csumStart[k];
  batch.csumOffset[j] = h.csumOffset[k];
  batch.hdrLen[j] = h.hdrLen[k];
  e.toNeighbour(batch, j, n);
  free(h, k);
  // A datagram with DF clear over the egress MTU (the forward path let it through to be
  // cut) waited here instead: it is cut now, after this batch (fragment-out.ts).
  if (len - ETH_HLEN > e.l2.ifMtu[batch.ifOut[j]] && !e.fragmentLater(j)) {
    batch.verdict[j] = e.drop(batch, j, DROP_TOO_BIG);
    return true;
  }
  batch.verdict[j] = VERDICT_TX;
  e.appendedTx++;
  e.counters.n[N_NEIGH_HELD_SENT]++;
  return true;
}

/** A byte loop, not set(subarray()): no view object per frame (as frags.ts holds its fragments). */
function copyBytes(src: Uint8Array, from: number, dst: Uint8Array, to: number, len: number): void {
  for (let b = 0; b < len; b++) dst[to + b] = src[from + b];
}

function free(h: UnresolvedFrames, k: number): void {
  h.len[k] = 0;
  h.count--;
}
