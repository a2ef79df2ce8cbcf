// The master side of connection sync, on the packet path: which connections a
// client packet makes worth telling the backup about, as the kernel decides it
// in ip_vs_in -> ip_vs_sync_conn -> ip_vs_sync_conn_needed (ip_vs_sync.c), and
// a ring of their slots that the data plane's loop drains between batches and
// encodes (router/conn-sync.ts). Preallocated: the packet path allocates nothing;
// a full ring drops the slot and counts it, as the kernel drops a sync buffer
// past sync_qlen_max.
//
// A slot is queued, not the conn's fields: the loop reads the conn when it
// drains the ring, after the batch. A conn freed within the batch is then
// skipped (its slot is no longer live); one whose slot was reused within the
// batch sends the newer conn, which is as true a state for the backup.
import { CONN_F_ONE_PACKET, CONN_F_TEMPLATE, type ConnTable } from '../conn/table.js';
import { PROTO_TCP } from '../model/index.js';
import { TCP_S_CLOSE, TCP_S_CLOSE_WAIT, TCP_S_ESTABLISHED, TCP_S_FIN_WAIT, TCP_S_TIME_WAIT } from '../conn/tcp-states.js';

/** "Check if we sync in current state": the TCP states a master syncs in. */
const TCP_SYNC_STATES = (1 << TCP_S_ESTABLISHED) | (1 << TCP_S_FIN_WAIT) | (1 << TCP_S_CLOSE)
  | (1 << TCP_S_CLOSE_WAIT) | (1 << TCP_S_TIME_WAIT);

/**
 * Whether a whole-table send (router/conn-sync.ts resync) includes the conn in
 * `slot`: what the packet path would sync in its state (TCP in ESTABLISHED or a
 * closing state; UDP and the rest always), every template, never a one-packet conn.
 */
export function worthSyncing(conns: ConnTable, slot: number): boolean {
  const flags = conns.flagsOf(slot);
  if ((flags & CONN_F_TEMPLATE) !== 0) return true;
  if ((flags & CONN_F_ONE_PACKET) !== 0) return false;
  return conns.protoOf(slot) !== PROTO_TCP || ((1 << conns.stateOf(slot)) & TCP_SYNC_STATES) !== 0;
}

export interface SyncQueueOptions {
  /** Ring entries (rounded up to a power of two). Default 4096. */
  ringSize?: number;
  /** net.ipv4.vs.sync_threshold "3 50": threshold and period. */
  threshold?: number;
  period?: number;
}

export class SyncQueue {
  /** Slots waiting to be sent, read from head to tail (both count up for ever). */
  readonly ring: Int32Array;
  head = 0;
  tail = 0;
  /** Slots dropped because the ring was full. */
  drops = 0;
  /** Whether to queue at all: false on a backup-only router, which still counts in_pkts. */
  master = false;
  readonly threshold: number;
  readonly period: number;
  /** cp->in_pkts: client packets per slot. */
  readonly inPkts: Uint32Array;
  /** cp->old_state: the state the conn was last synced in. */
  readonly oldState: Uint8Array;
  private readonly mask: number;

  constructor(private readonly conns: ConnTable, opts: SyncQueueOptions = {}) {
    let size = 16;
    while (size < (opts.ringSize ?? 4096)) size <<= 1;
    this.ring = new Int32Array(size);
    this.mask = size - 1;
    this.threshold = opts.threshold ?? 3;
    this.period = opts.period ?? 50;
    this.inPkts = new Uint32Array(conns.capacity + 1);
    this.oldState = new Uint8Array(conns.capacity + 1);
  }

  /** Slots queued and not yet taken. */
  get length(): number {
    return this.tail - this.head;
  }

  /** The next queued slot, or 0 when the ring is empty. */
  take(): number {
    if (this.head === this.tail) return 0;
    return this.ring[this.head++ & this.mask];
  }

  /** ip_vs_conn_new: "atomic_set(&cp->in_pkts, 0)", and no state synced yet. */
  created(slot: number): void {
    this.inPkts[slot] = 0;
    this.oldState[slot] = 0;
  }

  /**
   * ip_vs_in after a client packet of `slot`: "pkts = atomic_inc_return(&cp->in_pkts)"
   * (a one-packet conn passes sync_threshold instead), then ip_vs_sync_conn. A
   * one-packet conn is never synced itself, only its template.
   */
  inbound(slot: number): void {
    const onePacket = (this.conns.flagsOf(slot) & CONN_F_ONE_PACKET) !== 0;
    const pkts = onePacket ? this.threshold : ++this.inPkts[slot];
    if (!this.master) return;
    if (!onePacket) {
      if (!this.needed(slot, pkts)) return;
      this.push(slot);
    }
    // "synchronize its controller if it has": a template's timer on the backup
    // then follows the conns it keeps on their server.
    const t = this.conns.control[slot];
    if (t !== 0 && (this.conns.flagsOf(t) & CONN_F_TEMPLATE) !== 0) this.push(t);
  }

  /**
   * ip_vs_sync_conn_needed with sync_refresh_period 0 (the default): TCP only in
   * ESTABLISHED and the closing states; a change to a closing state syncs at once
   * ("force && cp->state != IP_VS_TCP_S_ESTABLISHED"); otherwise, and for UDP, the
   * packet count: "pkts % sync_period != sysctl_sync_threshold" skips.
   */
  private needed(slot: number, pkts: number): boolean {
    const c = this.conns;
    const state = c.stateOf(slot);
    if (c.protoOf(slot) === PROTO_TCP) {
      if (((1 << state) & TCP_SYNC_STATES) === 0) return false;
      if (state !== this.oldState[slot] && state !== TCP_S_ESTABLISHED) {
        this.oldState[slot] = state;
        return true;
      }
    }
    const p = this.period;
    if (p > 0 ? pkts % p !== this.threshold : pkts !== this.threshold) return false;
    this.oldState[slot] = state;
    return true;
  }

  private push(slot: number): void {
    if (this.tail - this.head > this.mask) {
      this.drops++;
      return;
    }
    this.ring[this.tail++ & this.mask] = slot;
  }
}
