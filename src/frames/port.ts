// The one narrow hook every I/O backend supplies (memory, pcap file, AF_PACKET
// ring, AF_XDP sockets, libpcap), as glb-director's backends do: the engine never knows which
// one it runs on, and one shared test suite (test/io/port-contract.ts) holds
// them all to the same behaviour.
import type { Batch } from './batch.js';

export interface PacketPort {
  /**
   * Appends up to `max` received frames to `batch` (after its current `count`; the
   * caller resets it) with `ifIn` set, and returns how many. Returns 0 when nothing
   * is waiting.
   */
  rx(batch: Batch, max: number): number;
  /** Sends every frame of `batch` whose verdict is VERDICT_TX on its `ifOut`; returns how many. */
  tx(batch: Batch): number;
  /** Releases the backend's sockets, rings or files. */
  close(): void;
  /** What the backend lost or could not send, over all its devices, since it opened (live backends). */
  counters?(): PortCounters;
}

/**
 * Frames a backend lost below the engine, which the engine's counters cannot see:
 * receive-buffer overflows (the kernel's ring, or the backend's own staging),
 * frames cut short or too big to take, and sends that would block or were refused.
 */
export interface PortCounters {
  ringDrops: number;
  truncated: number;
  oversize: number;
  txUnsent: number;
  txErrors: number;
  /**
   * Not a loss: sends that found the socket or the device full and waited for room
   * (a little, bounded) instead of dropping; a rising figure means an outgoing link
   * at its limit. Absent where the backend never waits.
   */
  txWaits?: number;
  /**
   * What the devices themselves dropped since the port opened (rx_dropped + rx_missed_errors +
   * rx_fifo_errors, tx_dropped + tx_fifo_errors): a NIC's full receive ring before any socket saw
   * the frame, or a veth whose peer's backlog refused it. The kernel's NAT loses frames there too.
   */
  ifRxDropped?: number;
  ifTxDropped?: number;
}

/** The names PortCounters go by in stats, metrics and `tsvs top`, in order. */
export const PORT_COUNTER_NAMES = ['ring_drops', 'truncated', 'oversize', 'tx_unsent', 'tx_errors', 'tx_waits', 'if_rx_dropped', 'if_tx_dropped'] as const;

/** A live port that can wake its owner when frames are waiting (the AF_PACKET and pcap backends). */
export interface LivePort extends PacketPort {
  /** Calls `cb` from the event loop whenever frames are waiting; null stops. */
  onReadable(cb: (() => void) | null): void;
}
