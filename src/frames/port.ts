// The one narrow hook every I/O backend supplies (memory, pcap file, AF_PACKET
// ring, libpcap), as glb-director's backends do: the engine never knows which
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
}

/** A live port that can wake its owner when frames are waiting (the AF_PACKET and pcap backends). */
export interface LivePort extends PacketPort {
  /** Calls `cb` from the event loop whenever frames are waiting; null stops. */
  onReadable(cb: (() => void) | null): void;
}
