// Connection sync in the data plane's loop, between batches: a master encodes
// the conns the packet path queued (engine/sync-queue.ts) into sync messages
// and sends each one when it is full, and what is left once a tick, as the
// kernel's master thread sends a part-filled buffer after a flush time; a
// backup reads messages into the engine's table (engine/sync-import.ts).
// Nothing here allocates per conn: one reused record, one message buffer.
//
// Beyond the kernel: a master can send its whole table (resync, then sweep in
// slices). The kernel syncs a conn only as its packets pass, so a backup that
// (re)starts never learns an idle or stalled flow (a download waiting on a
// retransmission timeout after a takeover sends nothing) and loses it at the
// next takeover; the router resyncs when its partner comes back.
//
// With ha_key_file each message is sealed as it leaves and must open as it
// comes in (ha/auth.ts): one HMAC and one copy per message, not per conn.
import { A6, CONN_F_APP, CONN_F_SEQ_ADJUST, CONN_F_TEMPLATE } from '../conn/table.js';
import { AUTH_TRAILER_BYTES, type Opener, type Sealer } from '../ha/auth.js';
import type { Engine } from '../engine/engine.js';
import {
  H_SYNC_AUTH_FORGED, H_SYNC_AUTH_OK, H_SYNC_AUTH_REPLAYED, H_SYNC_AUTH_UNAUTHENTICATED, H_SYNC_CONNS, H_SYNC_MESSAGES, H_SYNC_RESYNCS, H_SYNC_RING_DROPS,
  H_SYNC_RX_BAD, H_SYNC_RX_CONNS, H_SYNC_RX_MESSAGES, H_SYNC_RX_SKIPPED, H_SYNC_RX_WAITING,
} from '../engine/published.js';
import { IMPORT_NO_SERVER, importSyncConn, newSyncImportStats, syncConnInTable, syncTimeoutMs, type SyncImportStats } from '../engine/sync-import.js';
import { ParkedSyncConns } from '../engine/sync-parked.js';
import { SyncQueue, worthSyncing } from '../engine/sync-queue.js';
import { kernelFlagsFromTsvs } from '../sync/kernel-flags.js';
import { SYNC_A6, syncMaxlen, V1_HDR_SIZE, V1_MAX_V6_CONN, type SyncConn, type SyncSeq } from '../sync/layout.js';
import { newSyncRxStats, parseSyncMessage, type OnSyncConn, type SyncRxStats } from '../sync/parse.js';
import { SyncWriter } from '../sync/writer.js';
import type { SyncSettings } from './sync-socket.js';

/** Everything connection sync counts, for the control plane and tests. */
export interface ConnSyncStats {
  /** Master: conns and templates put into messages, messages sent, conns the full ring lost, whole-table sends begun. */
  synced: number;
  /** Master: IPv6 conns among `synced`; and IPv6 conns left out because sync_version 0 cannot carry them. */
  synced6: number;
  v6Skipped: number;
  messages: number;
  ringDrops: number;
  resyncs: number;
  /** Backup: messages from this router itself, ignored. */
  own: number;
  rx: SyncRxStats;
  imported: SyncImportStats;
  /** Backup: conns waiting for their real server (sync-parked.ts) now, then imported later, given up, or not kept (full). */
  waiting: { now: number; bound: number; expired: number; dropped: number };
}

/** Synced conns kept waiting for their real server, at most (about 8 MB, on a backup only). */
const PARK_CAPACITY = 65536;

/** ha_key_file's seal and open; the host keeps them across role changes (counters and windows go on). */
export interface SyncAuth {
  sealer: Sealer;
  opener: Opener;
}

export class ConnSync {
  readonly master: boolean;
  readonly backup: boolean;
  readonly queue: SyncQueue;
  readonly stats: ConnSyncStats = {
    synced: 0, synced6: 0, v6Skipped: 0, messages: 0, ringDrops: 0, resyncs: 0, own: 0, rx: newSyncRxStats(), imported: newSyncImportStats(),
    waiting: { now: 0, bound: 0, expired: 0, dropped: 0 },
  };
  private readonly writer: SyncWriter | null;
  private readonly rec: SyncConn = { protocol: 0, addr6: undefined, caddr: 0, cport: 0, vaddr: 0, vport: 0, daddr: 0, dport: 0, flags: 0, state: 0, fwmark: 0, timeout: 0 };
  /** rec.addr6 of an IPv6 conn (reused). */
  private readonly addr6 = new Int32Array(SYNC_A6);
  /** The out_seq record fill() hands the writer for FTP control connections (reused). */
  private readonly outSeq: SyncSeq = { initSeq: 0, delta: 0, previousDelta: 0 };
  private readonly onConn: OnSyncConn;
  private readonly parked: ParkedSyncConns | null;
  /** Later tries of parked conns count here, not in stats.imported (their first try is there). */
  private readonly retryStats = newSyncImportStats();
  private readonly parseOpts: { syncid: number };
  private now = 0;
  /** The next slot a whole-table send reads; 0 while none runs. */
  private sweepAt = 0;

  /** Installs itself as engine.sync; `send` gets each message (a view of a reused buffer). */
  constructor(
    private readonly engine: Engine,
    readonly settings: SyncSettings,
    private readonly send: (bytes: Uint8Array) => void,
    private readonly published: Float64Array,
    private readonly auth: SyncAuth | null = null,
  ) {
    this.master = settings.role === 'master' || settings.role === 'both';
    this.backup = settings.role === 'backup' || settings.role === 'both';
    this.queue = new SyncQueue(engine.conns);
    this.queue.master = this.master;
    // The trailer must fit in the same datagram: the message gives up its room.
    const maxlen = syncMaxlen('master', 1500, settings.maxlen ?? 0) - (auth ? AUTH_TRAILER_BYTES : 0);
    this.writer = this.master
      ? new SyncWriter(new Uint8Array(Math.max(maxlen, V1_HDR_SIZE + V1_MAX_V6_CONN)), { version: settings.version ?? 1, syncid: settings.syncid ?? 0, maxlen })
      : null;
    this.parseOpts = { syncid: settings.syncid ?? 0 };
    this.parked = this.backup ? new ParkedSyncConns(PARK_CAPACITY) : null;
    this.onConn = (c, version) => {
      if (importSyncConn(engine, c, version, this.stats.imported, this.now) === IMPORT_NO_SERVER) {
        this.parked!.park(c, version, this.now, syncTimeoutMs(engine, c, version));
      }
    };
    engine.sync = this.queue; // last: settings the writer refuses leave the engine as it was
  }

  /** After a batch: the queued conns into messages; full ones are sent, and with `all` the last one too (the tick). */
  flush(all: boolean): void {
    const w = this.writer;
    if (w === null) return;
    const q = this.queue, conns = this.engine.conns;
    for (let s = q.take(); s !== 0; s = q.take()) {
      if (conns.isLive(s)) this.put(w, s); // else expired within the batch
    }
    if (all && w.count > 0) this.emit(w);
    this.stats.ringDrops = q.drops;
    this.publish();
  }

  /** Begins sending the whole table (a master only); sweep() sends it a slice at a time. False on a backup. */
  resync(): boolean {
    if (this.writer === null) return false;
    this.sweepAt = 1;
    this.stats.resyncs++;
    this.publish();
    return true;
  }

  /**
   * The next `slots` slots of a whole-table send into messages (the last one sent
   * when the sweep ends); true while more remain. Conns created after the sweep
   * passed their slot are synced by their packets as usual.
   */
  sweep(slots: number): boolean {
    const w = this.writer;
    if (w === null || this.sweepAt === 0) return false;
    const conns = this.engine.conns;
    const end = Math.min(conns.highWater, this.sweepAt + slots);
    for (let s = this.sweepAt; s < end; s++) {
      if (conns.isLive(s) && worthSyncing(conns, s)) this.put(w, s);
    }
    this.sweepAt = end >= conns.highWater ? 0 : end;
    if (this.sweepAt === 0 && w.count > 0) this.emit(w);
    this.publish();
    return this.sweepAt !== 0;
  }

  private put(w: SyncWriter, s: number): void {
    // ip_vs_sync_conn_v0: "if (unlikely(cp->af != AF_INET)) return;"
    if (w.version === 0 && this.engine.conns.isV6(s)) {
      this.stats.v6Skipped++;
      return;
    }
    this.fill(s);
    if (!w.add(this.rec)) {
      this.emit(w);
      w.add(this.rec); // an empty message takes any one conn
    }
    this.stats.synced++;
    if (this.rec.addr6 !== undefined) this.stats.synced6++;
  }

  /** One datagram from `from` (uint32; 0 unknown). Malformed input is counted, never thrown. */
  receive(bytes: Uint8Array, from: number, now: number): void {
    if (!this.backup) return;
    if (from !== 0 && from === this.settings.address) {
      this.stats.own++; // our own multicast, looped back
      return;
    }
    this.now = now;
    if (this.auth) {
      const r = this.auth.opener.open(bytes);
      if (!r.ok) return this.publish();
      bytes = r.payload;
    }
    parseSyncMessage(bytes, this.onConn, this.stats.rx, this.parseOpts);
    this.publish();
  }

  /**
   * Conns waiting for their real server: with `tableChanged`, each is tried again
   * (the server may have come in); those past their timeout are given up. A conn
   * the table has by now (a newer message, or the client's own packets after a
   * takeover) is left as it is and the older message dropped.
   */
  sweepParked(now: number, tableChanged: boolean): void {
    const p = this.parked;
    if (p === null || p.count === 0) return;
    this.now = now;
    p.sweep(now, tableChanged ? this.retryParked : null);
    this.publish();
  }

  private readonly retryParked = (c: SyncConn, version: 0 | 1): boolean =>
    !syncConnInTable(this.engine, c, version) && importSyncConn(this.engine, c, version, this.retryStats, this.now) === IMPORT_NO_SERVER;

  /** Stops: the packet path stops counting and queueing. */
  close(): void {
    if (this.engine.sync === this.queue) this.engine.sync = null;
  }

  private emit(w: SyncWriter): void {
    const m = w.finish();
    this.send(this.auth ? this.auth.sealer.seal(m) : m);
    w.reset();
    this.stats.messages++;
  }

  /** The conn in slot s as the kernel's master describes cp (ip_vs_sync_conn). */
  private fill(s: number): void {
    const c = this.engine.conns, rt = this.engine.services, r = this.rec;
    const flags = c.flagsOf(s);
    r.protocol = c.protoOf(s);
    // An IPv6 conn: its full addresses (its row holds their folds, which go in caddr..daddr unused).
    if (c.isV6(s)) {
      const x = c.addr6, a = this.addr6, w = s * A6;
      for (let k = 0; k < SYNC_A6; k++) a[k] = x[w + k];
      r.addr6 = a;
    } else {
      r.addr6 = undefined;
    }
    r.caddr = c.caddrOf(s);
    r.cport = c.cportOf(s);
    r.vaddr = c.vaddrOf(s);
    r.vport = c.vportOf(s);
    r.daddr = c.daddrOf(s);
    r.dport = c.dportOf(s);
    r.flags = kernelFlagsFromTsvs(flags);
    // Templates have one state, IP_VS_CTPL_S_NONE.
    r.state = (flags & CONN_F_TEMPLATE) !== 0 ? 0 : c.stateOf(s);
    // cp->fwmark is its service's; the conn knows its service through its dest.
    r.fwmark = rt.services[rt.destSvc[c.destOf(s)]]?.model.fwmark ?? 0;
    r.timeout = Math.floor(c.timeoutOf(s) / 1000);
    // An FTP control connection's sequence offset (IP_VS_CONN_F_OUT_SEQ), as the kernel sends cp->out_seq;
    // a SYN-proxied connection's the same way (FTP ports are never proxied, so a conn has one or neither).
    r.outSeq = this.seqOf(s, flags) ? this.outSeq : undefined;
  }

  private seqOf(s: number, flags: number): boolean {
    if ((flags & CONN_F_APP) !== 0) return this.engine.ftp.exportSeq(this.engine.conns, s, this.outSeq);
    const sp = this.engine.synProxy;
    return (flags & CONN_F_SEQ_ADJUST) !== 0 && sp !== null && sp.exportSeq(s, this.outSeq);
  }

  private publish(): void {
    const h = this.published, st = this.stats, rx = st.rx, im = st.imported, w = st.waiting, p = this.parked;
    if (p !== null) [w.now, w.bound, w.expired, w.dropped] = [p.count, p.bound, p.expired, p.dropped];
    h[H_SYNC_CONNS] = st.synced;
    h[H_SYNC_MESSAGES] = st.messages;
    h[H_SYNC_RING_DROPS] = st.ringDrops;
    h[H_SYNC_RESYNCS] = st.resyncs;
    h[H_SYNC_RX_MESSAGES] = rx.messages;
    // A conn with no server yet waits (noServer counts its first try): skipped only when given up.
    h[H_SYNC_RX_CONNS] = im.created + im.updated + w.bound;
    h[H_SYNC_RX_SKIPPED] = im.noService + im.tableFull + im.stale + w.expired + w.dropped;
    h[H_SYNC_RX_WAITING] = w.now;
    h[H_SYNC_RX_BAD] = rx.badLength + rx.truncated + rx.malformed + rx.skipped;
    const a = this.auth?.opener.stats;
    if (a) {
      h[H_SYNC_AUTH_OK] = a.ok;
      h[H_SYNC_AUTH_UNAUTHENTICATED] = a.unauthenticated;
      h[H_SYNC_AUTH_FORGED] = a.forged;
      h[H_SYNC_AUTH_REPLAYED] = a.replayed;
    }
  }
}
