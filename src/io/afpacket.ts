// The fast path: one AF_PACKET socket per interface through the native addon, a
// TPACKET_V3 receive ring, sendmmsg batches, and the virtio-net header so GSO
// super-frames and partial checksums cross whole (shared/LAB-NOTES.md, gotcha 1).
// ifIn/ifOut of a Batch are indices into the list of devices given here.
import { readFileSync } from 'node:fs';
import { type Batch } from '../frames/batch.js';
import {
  F_BLOCKING, F_IGNORE_OUTGOING, F_QDISC_BYPASS, F_VNET, inNetns, requireNative,
  type BatchViews, type NativeAddon, type SocketHandle, type SocketStats,
} from './native.js';
import type { PacketPort, PortCounters } from '../frames/port.js';

/** PACKET_FANOUT modes (linux/if_packet.h). */
export const FANOUT_MODES = { hash: 0, lb: 1, cpu: 2, rollover: 3, rnd: 4, qm: 5, cbpf: 6 } as const;
/** PACKET_FANOUT_FLAG_UNIQUEID, in open()'s fanout argument (flags sit beside the mode, above the id). */
const FANOUT_FLAG_UNIQUEID = 0x2000 << 16;

export interface AfPacketOptions {
  /** A libpcap filter expression run in the kernel (SO_ATTACH_FILTER); frames it rejects never reach the ring. */
  filter?: string;
  /** Carry the virtio-net header (offload state) on receive and send. Default true. */
  vnetHdr?: boolean;
  /**
   * Ring block size in bytes: a multiple of the page size that holds a 64 KiB GSO
   * super-frame. Default 128 KiB. The kernel hands a block over when it is full or
   * 1 ms after its first frame, so at moderate rates each block holds only 1 ms of
   * frames (LAB-NOTES gotcha 5): the ring buffers about `blocks` ms of traffic, and
   * many small blocks buffer longer than a few big ones of the same total size.
   */
  blockSize?: number;
  /** Blocks per ring; 0 makes send-only sockets. Default 256 (32 MiB per interface, 256 ms or more of traffic). */
  blocks?: number;
  /** Skip the qdisc layer on send. Default true. */
  qdiscBypass?: boolean;
  /** Sends wait for socket buffer space instead of counting frames as unsent. Default false. */
  blocking?: boolean;
  /**
   * Spread an interface's frames over the sockets of several processes or threads.
   * A group is per device (the kernel refuses one id on two devices): with a number
   * the i-th device joins group `group + i`; with a list, group[i]; with 'unique'
   * each device makes a new group whose id the kernel picks (PACKET_FANOUT_FLAG_UNIQUEID,
   * so no other program's group is joined by chance): fanoutGroups() tells them, for
   * the others to join. A socket's place in its group is the order it joined, so
   * threads that must line up across devices open their ports in turn.
   */
  fanout?: { group: number | readonly number[] | 'unique'; mode: keyof typeof FANOUT_MODES };
  /** Open the sockets in this network namespace (a name from `ip netns` or a path). */
  netns?: string;
  /**
   * Report the devices' own drop counters (sysfs) in counters(). Default: unless the
   * sockets join a fanout group, where several ports share the devices and only one of
   * them (the first data-plane worker) should, so a sum over the ports counts each once.
   */
  deviceCounters?: boolean;
}

/** The Batch's typed arrays as the addon takes them, made once per Batch. */
const viewCache = new WeakMap<Batch, BatchViews>();
export function views(b: Batch): BatchViews {
  let v = viewCache.get(b);
  if (!v) {
    v = [b.buf, b.off, b.len, b.ifIn, b.ifOut, b.verdict, b.reason, b.csumPartial, b.gsoType, b.gsoSize, b.hdrLen, b.csumStart, b.csumOffset];
    viewCache.set(b, v);
  }
  return v;
}

/** The same views with the buffer cut at Batch.limit, for receiving: the addon fills only up to there. */
const rxViewCache = new WeakMap<Batch, BatchViews>();
export function rxViews(b: Batch): BatchViews {
  let v = rxViewCache.get(b);
  if (!v) {
    const all = views(b);
    v = [b.buf.subarray(0, b.limit), ...all.slice(1)] as unknown as BatchViews;
    rxViewCache.set(b, v);
  }
  return v;
}

export class AfPacketPort implements PacketPort {
  /** Per interface (same order as `devices`): kernel index, MAC and MTU. */
  readonly info: Array<{ index: number; mac: Uint8Array; mtu: number }>;
  private readonly sockets: SocketHandle[] = [];
  private readonly native: NativeAddon;
  /** Socket rx() starts with, rotated so one busy interface cannot starve the others. */
  private first = 0;
  private closed = false;
  /** deviceDrops() when the port opened: counters() shows what was dropped since. */
  private readonly dropsAtOpen: [number, number];
  private readonly sysfs: boolean;

  constructor(
    readonly devices: readonly string[],
    opts: AfPacketOptions = {},
    addon?: NativeAddon,
  ) {
    if (devices.length === 0 || devices.length > 255) throw new RangeError('AfPacketPort needs 1 to 255 devices');
    this.native = addon ?? requireNative();
    const n = this.native;
    const flags =
      (opts.vnetHdr !== false ? F_VNET : 0) |
      (opts.qdiscBypass !== false ? F_QDISC_BYPASS : 0) |
      (opts.blocking ? F_BLOCKING : 0) |
      F_IGNORE_OUTGOING;
    const fanout = (i: number): number => {
      const f = opts.fanout;
      if (!f) return -1;
      const mode = FANOUT_MODES[f.mode] << 16;
      if (f.group === 'unique') return mode | FANOUT_FLAG_UNIQUEID;
      return ((typeof f.group === 'number' ? f.group + i : f.group[i]) & 0xffff) | mode;
    };
    const blockSize = opts.blockSize ?? 128 << 10;
    const blocks = opts.blocks ?? 256;
    this.info = inNetns(opts.netns, () => {
      try {
        devices.forEach((d, i) => this.sockets.push(n.open(d, opts.filter ?? null, blockSize, blocks, flags, fanout(i))));
        return devices.map((d) => n.ifInfo(d));
      } catch (e) {
        this.close(); // the sockets opened so far
        throw e;
      }
    }, n);
    // sysfs shows this process's namespace: a port opened in another one has no device counters here.
    this.sysfs = opts.netns === undefined && (opts.deviceCounters ?? opts.fanout === undefined);
    this.dropsAtOpen = this.deviceDrops();
  }

  rx(batch: Batch, max: number): number {
    const v = rxViews(batch);
    const k = this.sockets.length;
    let got = 0;
    for (let j = 0; j < k && got < max && batch.count < batch.capacity; j++) {
      const s = (this.first + j) % k;
      const n = this.native.rx(this.sockets[s], v, batch.count, batch.used, max - got, s);
      batch.count += n;
      got += n;
    }
    this.first = (this.first + 1) % k;
    return got;
  }

  tx(batch: Batch): number {
    const v = views(batch);
    let sent = 0;
    for (let s = 0; s < this.sockets.length; s++) sent += this.native.tx(this.sockets[s], v, batch.count, s);
    return sent;
  }

  /** Each device's fanout group id (a 'unique' group's, as the kernel chose it). */
  fanoutGroups(): number[] {
    return this.sockets.map((s) => this.native.fanoutGroup(s));
  }

  /** Sets the classic BPF program of every device's PACKET_FANOUT_CBPF group (one member sets it for all). */
  setFanoutProgram(program: Uint8Array): void {
    for (const s of this.sockets) this.native.fanoutData(s, program);
  }

  /** Calls `cb` from the event loop whenever a socket has frames; null stops. Level-triggered: frames left call again. */
  onReadable(cb: (() => void) | null): void {
    if (this.closed) return;
    for (const s of this.sockets) this.native.poll(s, cb);
  }

  /** Counters per interface (kernel ring drops are read and reset by each call). */
  stats(): SocketStats[] {
    return this.sockets.map((s) => {
      const [drops, truncated, oversize, txUnsent, txErrors, lastTxError, txWaits] = this.native.stats(s);
      return { drops, truncated, oversize, txUnsent, txErrors, lastTxError, txWaits: txWaits ?? 0 };
    });
  }

  /** stats() summed over the devices: the data plane publishes these (ring drops read from the kernel accumulate in the addon). */
  counters(): PortCounters {
    const c: PortCounters = { ringDrops: 0, truncated: 0, oversize: 0, txUnsent: 0, txErrors: 0, txWaits: 0, ifRxDropped: 0, ifTxDropped: 0 };
    if (this.closed) return c;
    const d = this.deviceDrops();
    c.ifRxDropped = d[0] - this.dropsAtOpen[0];
    c.ifTxDropped = d[1] - this.dropsAtOpen[1];
    for (const s of this.stats()) {
      c.ringDrops += s.drops;
      c.truncated += s.truncated;
      c.oversize += s.oversize;
      c.txUnsent += s.txUnsent;
      c.txErrors += s.txErrors;
      c.txWaits! += s.txWaits;
    }
    return c;
  }

  /**
   * The devices' own drop counters summed, [receive, send], from sysfs: read once a second
   * (the data plane's tick), never per packet. A port opened with `netns`, or a device
   * whose sysfs entry is gone or another's, counts 0.
   */
  private deviceDrops(): [number, number] {
    const out: [number, number] = [0, 0];
    if (!this.sysfs) return out;
    this.devices.forEach((dev, i) => {
      const dir = `/sys/class/net/${dev}`;
      const read = (f: string): number => Number(readFileSync(`${dir}/${f}`, 'utf8')) || 0;
      try {
        if (read('ifindex') !== this.info[i].index) return;
        out[0] += read('statistics/rx_dropped') + read('statistics/rx_missed_errors') + read('statistics/rx_fifo_errors');
        out[1] += read('statistics/tx_dropped') + read('statistics/tx_fifo_errors');
      } catch {
        // no sysfs here (a container without it): nothing to add
      }
    });
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sockets) this.native.close(s);
  }
}
