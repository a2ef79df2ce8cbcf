// What the data plane publishes for the control plane to read without stopping
// it: the engine's per-server counters and state, its drop/pass counters, and a
// few figures of the loop around it (router/dataplane-host.ts). In the router
// these are views of shared memory (the data plane runs in a worker thread);
// inline, the same arrays.
import { PORT_COUNTER_NAMES } from '../frames/port.js';
import type { Engine } from './engine.js';
import { privateAlloc, type Alloc } from '../conn/memory.js';

/** Upper bounds of the batch-size and batch-time histograms (frames; microseconds). */
export const BATCH_FRAME_BOUNDS = [1, 2, 4, 8, 16, 32, 64, 128, 256];
export const BATCH_MICRO_BOUNDS = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 100_000];

/** Slots of DataPlaneMemory.host. */
export const H_CONNS = 0;
export const H_CONN_CAPACITY = 1;
export const H_BATCHES = 2;
export const H_VERSION = 3;
// Connection sync (router/conn-sync.ts): master side, then backup side.
/** Conns (and templates) put into sync messages. */
export const H_SYNC_CONNS = 4;
/** Sync messages handed to the socket. */
export const H_SYNC_MESSAGES = 5;
/** Conns not synced because the ring between the packet path and the encoder was full. */
export const H_SYNC_RING_DROPS = 6;
/** Sync messages received whose header passed (length, syncid). */
export const H_SYNC_RX_MESSAGES = 7;
/** Conns received and created or updated in the table. */
export const H_SYNC_RX_CONNS = 8;
/** Conns received and skipped: unknown service, table full, stale, or given up waiting for their real server. */
export const H_SYNC_RX_SKIPPED = 9;
/** Received messages or conns that were malformed: bad length, truncated, bad option, wrong protocol or state. */
export const H_SYNC_RX_BAD = 10;
/** Whole-table sends to a partner that came back (router/conn-sync.ts resync). */
export const H_SYNC_RESYNCS = 11;
// With ha_key_file (ha/auth.ts): messages that opened, and those dropped by reason.
export const H_SYNC_AUTH_OK = 12;
export const H_SYNC_AUTH_UNAUTHENTICATED = 13;
export const H_SYNC_AUTH_FORGED = 14;
export const H_SYNC_AUTH_REPLAYED = 15;
/** Conns received for a real server this router's table lacks (yet): kept and tried again as the table changes (engine/sync-parked.ts). */
export const H_SYNC_RX_WAITING = 16;
export const H_FIELDS = 17;

export interface DataPlaneMemory {
  // Per dest id (see conn/dests.ts and engine/services.ts).
  weight: Int32Array;
  flags: Uint8Array;
  active: Uint32Array;
  inactive: Uint32Array;
  persist: Uint32Array;
  upper: Uint32Array;
  lower: Uint32Array;
  addr: Uint32Array;
  /** IPv6 dests: 1 in destV6, their address in destAddr6 (4 words per dest id); addr then only stands for it. */
  destV6: Uint8Array;
  destAddr6: Int32Array;
  port: Uint16Array;
  destSvc: Uint32Array;
  destFwd: Uint8Array;
  destConns: Float64Array;
  destInPkts: Float64Array;
  destOutPkts: Float64Array;
  destInBytes: Float64Array;
  destOutBytes: Float64Array;
  /** Stats of freed dests, per service id and in total (engine/services.ts). */
  retiredSvc: Float64Array;
  retiredTotal: Float64Array;
  /** [0]: dest ids in use are below this. */
  highWater: Uint32Array;
  // The engine's counters (engine/counters.ts).
  drops: Float64Array;
  passes: Float64Array;
  totals: Float64Array;
  /** H_* figures of the data plane's loop. */
  host: Float64Array;
  /** Per bucket (BATCH_*_BOUNDS, then +Inf), then the count and the sum. */
  batchFrames: Float64Array;
  batchMicros: Float64Array;
  /** The packet backend's own losses (frames/port.ts PortCounters, in PORT_COUNTER_NAMES order), refreshed every tick. */
  backend: Float64Array;
  /**
   * Microseconds, as batchMicros: each step of a table change the loop took in one
   * go between batches (forwarding waits for it), and each garbage collection
   * pause of the data plane's thread (dataplane-host.ts observeGc).
   */
  stepMicros: Float64Array;
  gcMicros: Float64Array;
}

/** The loop's own figures, made with the engine's alloc (DataPlaneHost). */
export interface LoopMemory {
  host: Float64Array;
  batchFrames: Float64Array;
  batchMicros: Float64Array;
  backend: Float64Array;
  stepMicros: Float64Array;
  gcMicros: Float64Array;
}

/** The loop's figures, zeroed, in memory from `alloc` (shared or private). */
export function loopMemory(alloc: Alloc = privateAlloc): LoopMemory {
  return {
    host: alloc(Float64Array, H_FIELDS), batchFrames: alloc(Float64Array, BATCH_FRAME_BOUNDS.length + 3), batchMicros: alloc(Float64Array, BATCH_MICRO_BOUNDS.length + 3),
    backend: alloc(Float64Array, PORT_COUNTER_NAMES.length), stepMicros: alloc(Float64Array, BATCH_MICRO_BOUNDS.length + 3), gcMicros: alloc(Float64Array, BATCH_MICRO_BOUNDS.length + 3),
  };
}

/** The engine's arrays, plus the loop's own. */
export function memoryOf(engine: Engine, loop: LoopMemory): DataPlaneMemory {
  const rt = engine.services;
  const d = rt.dests;
  return {
    weight: d.weight, flags: d.flags, active: d.active, inactive: d.inactive, persist: d.persist,
    upper: d.upper, lower: d.lower, addr: d.addr, destV6: rt.destV6, destAddr6: rt.destAddr6, port: d.port,
    destSvc: rt.destSvc, destFwd: rt.destFwd,
    destConns: rt.destConns, destInPkts: rt.destInPkts, destOutPkts: rt.destOutPkts, destInBytes: rt.destInBytes, destOutBytes: rt.destOutBytes,
    retiredSvc: rt.retiredSvc, retiredTotal: rt.retiredTotal, highWater: rt.highWater,
    drops: engine.counters.drops, passes: engine.counters.passes, totals: engine.counters.n,
    ...loop,
  };
}

/** Counts `value` into a histogram laid out as in DataPlaneMemory. */
export function observe(h: Float64Array, bounds: readonly number[], value: number): void {
  let b = 0;
  while (b < bounds.length && value > bounds[b]) b++;
  h[b]++;
  h[bounds.length + 1]++;
  h[bounds.length + 2] += value;
}
