// The portable fallback: libpcap through the `pcap` npm package, one capture
// session per interface, inject() to send. Slower than the AF_PACKET addon (one JS
// callback per frame, one syscall per send; LAB-NOTES: 0.24 M frames/s forwarded)
// but it needs nothing of ours built.
//
// NEEDS OFFLOADS OFF for TCP: libpcap has no virtio-net header, so with veth/NIC
// defaults it captures 64 KB GSO super-frames whose checksums are only partial, and
// inject() of anything over the MTU throws. Turn them off on the router's interfaces
// and on the peers that send through them:
//   ethtool -K DEV tso off gso off gro off tx off rx off
// The constructor checks with `ethtool -k` and warns when they are on.
//
// Quirks of the package (LAB-NOTES gotcha 3) handled here: frames arrive one callback
// at a time in a reused buffer, so they are copied into a staging area that rx()
// drains into the batch; it captures its own sends, so the filter starts with
// `inbound`; buffer_timeout 0 (immediate mode) instead of up to a second of latency;
// close() only breaks libpcap's loop, so one more dispatch finishes the close.
//
// One more, found here: libpcap 1.10 runs the filter of the first ring block after
// pcap_setfilter() in userland, whose BPF interpreter cannot read the packet type
// that `inbound` tests, so every frame of that first block (the first millisecond
// or so of traffic) is lost. A router loses a little at start-up; the tests send a
// throw-away frame first. direction: 'mac' avoids it with a filter on MAC addresses
// (`ether dst` the interface's MAC, broadcast or multicast, and not `ether src` it),
// at the price of frames for other MACs.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { VERDICT_TX, type Batch } from '../frames/batch.js';
import { inNetns } from './native.js';
import type { PacketPort, PortCounters } from '../frames/port.js';

/** The parts of the `pcap` package used here (it ships loose typings). */
interface PcapSession {
  on(event: 'packet', cb: (p: { buf: Buffer; header: Buffer }) => void): void;
  inject(frame: Buffer): void;
  close(): void;
  stats(): { ps_recv: number; ps_drop: number; ps_ifdrop: number };
  /** Internals: the binding and the buffers pcap.js dispatches into. */
  session: { dispatch(buf: Buffer, header: Buffer): number };
  buf: Buffer;
  header: Buffer;
}
interface PcapModule {
  createSession(dev: string, o: { filter?: string; buffer_timeout?: number; promiscuous?: boolean; buffer_size?: number; snap_length?: number }): PcapSession;
  warningHandler: (text: string) => void;
}

export interface PcapPortOptions {
  /** A libpcap filter expression, and-ed with the direction filter. */
  filter?: string;
  /** How frames this host sends are kept out: `inbound` (default) or MAC addresses (see above). */
  direction?: 'inbound' | 'mac';
  /** Default true, as libpcap's: a router on a real NIC must see frames for its VIPs' MACs. */
  promiscuous?: boolean;
  /** Bytes of libpcap's kernel ring per interface. Default 32 MiB. */
  ringBytes?: number;
  /** Bytes of the staging area between libpcap's callbacks and rx(). Default 8 MiB. */
  stagingBytes?: number;
  /** Where warnings go (offloads on). Default console.warn. */
  warn?: (message: string) => void;
  /** Open the sessions in this network namespace (needs the native addon for setns). */
  netns?: string;
}

/** Offloads that must be off for this backend, as `ethtool -k` names them. */
export const PCAP_OFFLOADS = ['tcp-segmentation-offload', 'generic-segmentation-offload', 'generic-receive-offload', 'tx-checksumming', 'rx-checksumming'];

/** Which of PCAP_OFFLOADS are on for `dev` (from `ethtool -k`), or null when ethtool cannot tell. */
export function offloadsOn(dev: string): string[] | null {
  const r = spawnSync('ethtool', ['-k', dev], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0 || !r.stdout) return null;
  return PCAP_OFFLOADS.filter((f) => new RegExp(`^${f}: on`, 'm').test(r.stdout));
}

/** MTU and MAC of `dev` in the calling thread's namespace (from `ip -j link`). */
function linkOf(dev: string): { mtu: number; mac: string } {
  const r = spawnSync('ip', ['-j', 'link', 'show', 'dev', dev], { encoding: 'utf8', timeout: 5000 });
  const link = r.status === 0 ? (JSON.parse(r.stdout) as Array<{ mtu?: number; address?: string }>)[0] : undefined;
  if (!link?.mtu || !link.address) throw Object.assign(new Error(`pcap: cannot open ${dev}: ENODEV: no such device ${dev}`), { code: 'ENODEV' });
  return { mtu: link.mtu, mac: link.address };
}

/** The filter that keeps this host's own sends out (LAB-NOTES gotcha 3: libpcap captures them). */
function directionFilter(mac: string, direction: 'inbound' | 'mac'): string {
  if (direction === 'inbound') return 'inbound';
  return `(ether dst ${mac} or ether broadcast or ether multicast) and not ether src ${mac}`;
}

export function loadPcap(): PcapModule {
  try {
    return createRequire(import.meta.url)('pcap') as PcapModule;
  } catch (e) {
    throw new Error(`the pcap backend needs the pcap npm package, built against libpcap-dev (npm install): ${(e as Error).message}`);
  }
}

export class PcapPort implements PacketPort {
  /** Warnings given at open (offloads on, or not checkable). */
  readonly warnings: string[] = [];
  /** Frames lost: staging full, cut short by the snap length, bigger than an empty batch, inject refused. */
  dropped = 0;
  truncated = 0;
  oversize = 0;
  txErrors = 0;
  private readonly sessions: PcapSession[] = [];
  private readonly sBuf: Uint8Array;
  private readonly sOff: Uint32Array;
  private readonly sLen: Uint32Array;
  private readonly sIf: Uint8Array;
  private head = 0;
  private tail = 0;
  private cb: (() => void) | null = null;
  private wakeQueued = false;
  private pulling = false;
  private closed = false;

  constructor(
    readonly devices: readonly string[],
    opts: PcapPortOptions = {},
    pcap: PcapModule = loadPcap(),
  ) {
    if (devices.length === 0 || devices.length > 255) throw new RangeError('PcapPort needs 1 to 255 devices');
    const bytes = opts.stagingBytes ?? 8 << 20;
    this.sBuf = new Uint8Array(bytes);
    const slots = Math.max(64, bytes >>> 6);
    this.sOff = new Uint32Array(slots);
    this.sLen = new Uint32Array(slots);
    this.sIf = new Uint8Array(slots);
    const warn = opts.warn ?? ((m: string) => console.warn(m));
    inNetns(opts.netns, () => {
      const saved = pcap.warningHandler;
      pcap.warningHandler = () => {}; // "no IPv4 address assigned": expected on a router's data interfaces
      try {
        devices.forEach((dev, k) => {
          const link = linkOf(dev);
          const on = offloadsOn(dev);
          if (on === null) this.warnings.push(`pcap backend: could not check offloads of ${dev} (ethtool -k failed); TCP needs them off`);
          else if (on.length) {
            this.warnings.push(
              `pcap backend: offloads are on for ${dev} (${on.join(', ')}); TCP through this backend needs them off on ` +
                `this interface and its peers: ethtool -K ${dev} tso off gso off gro off tx off rx off`,
            );
          }
          let s: PcapSession;
          try {
            const filter = directionFilter(link.mac, opts.direction ?? 'inbound') + (opts.filter ? ` and (${opts.filter})` : '');
            // In immediate mode libpcap uses fixed ring slots of snap_length: 64 KiB slots would
            // leave room for only 160 frames in 10 MB. MTU-sized slots (offloads are off) hold thousands.
            s = pcap.createSession(dev, {
              filter,
              buffer_timeout: 0,
              promiscuous: opts.promiscuous ?? true,
              snap_length: Math.max(2048, link.mtu + 18),
              buffer_size: opts.ringBytes ?? 32 << 20,
            });
          } catch (e) {
            throw new Error(`pcap: cannot open ${dev}: ${(e as Error).message}`);
          }
          this.sessions.push(s);
          s.on('packet', (p) => {
            const caplen = p.header.readUInt32LE(8);
            // Cut short (a GRO/GSO super-frame with offloads on): forwarding it would corrupt it.
            if (caplen < p.header.readUInt32LE(12)) this.truncated++;
            else this.stage(k, p.buf, caplen);
          });
        });
      } catch (e) {
        this.close();
        throw e;
      } finally {
        pcap.warningHandler = saved;
      }
    });
    for (const w of this.warnings) warn(w);
  }

  /** One captured frame, still in the package's reused buffer: copy it out. */
  private stage(k: number, buf: Buffer, caplen: number): void {
    let at = this.tail === this.head ? 0 : this.sOff[this.tail - 1] + this.sLen[this.tail - 1];
    if (this.tail === this.head) this.head = this.tail = 0;
    if (this.tail === this.sOff.length || at + caplen > this.sBuf.length) {
      this.compact();
      at = this.tail === 0 ? 0 : this.sOff[this.tail - 1] + this.sLen[this.tail - 1];
      if (this.tail === this.sOff.length || at + caplen > this.sBuf.length) {
        this.dropped++;
        return;
      }
    }
    this.sBuf.set(buf.subarray(0, caplen), at);
    this.sOff[this.tail] = at;
    this.sLen[this.tail] = caplen;
    this.sIf[this.tail++] = k;
    if (this.cb && !this.pulling && !this.wakeQueued) {
      this.wakeQueued = true;
      queueMicrotask(this.wake); // after libpcap's dispatch has delivered the whole burst
    }
  }

  /** Moves the frames not yet received to the start of the staging area. */
  private compact(): void {
    if (this.head === 0) return;
    const from = this.sOff[this.head];
    this.sBuf.copyWithin(0, from, this.sOff[this.tail - 1] + this.sLen[this.tail - 1]);
    for (let i = this.head; i < this.tail; i++) {
      const j = i - this.head;
      this.sOff[j] = this.sOff[i] - from;
      this.sLen[j] = this.sLen[i];
      this.sIf[j] = this.sIf[i];
    }
    this.tail -= this.head;
    this.head = 0;
  }

  private readonly wake = (): void => {
    this.wakeQueued = false;
    if (!this.cb || this.closed) return;
    this.cb();
    // Level-triggered like the AF_PACKET port: frames left behind by a capped drain call again.
    if (this.head < this.tail && !this.wakeQueued) {
      this.wakeQueued = true;
      setImmediate(this.wake);
    }
  };

  rx(batch: Batch, max: number): number {
    if (this.closed) return 0;
    if (this.head === this.tail) {
      // Nothing staged: ask libpcap for what the kernel holds now, so rx() also works as a pull.
      this.pulling = true;
      try {
        for (const s of this.sessions) s.session.dispatch(s.buf, s.header);
      } finally {
        this.pulling = false;
      }
    }
    let n = 0;
    while (n < max && this.head < this.tail) {
      const h = this.head;
      const frame = this.sBuf.subarray(this.sOff[h], this.sOff[h] + this.sLen[h]);
      if (!batch.push(frame, this.sIf[h])) {
        if (batch.count > 0) break; // full: the frame waits for the next call
        this.oversize++; // could never fit: drop rather than stall
      } else {
        n++;
      }
      this.head++;
    }
    if (this.head === this.tail) this.head = this.tail = 0;
    return n;
  }

  tx(batch: Batch): number {
    let sent = 0;
    const ab = batch.buf.buffer;
    const base = batch.buf.byteOffset;
    for (let i = 0; i < batch.count; i++) {
      if (batch.verdict[i] !== VERDICT_TX) continue;
      const s = this.sessions[batch.ifOut[i]];
      if (!s) {
        this.txErrors++;
        continue;
      }
      try {
        s.inject(Buffer.from(ab, base + batch.off[i], batch.len[i]));
        sent++;
      } catch {
        this.txErrors++; // "Pcap inject failed." (over-MTU frame, link down): no errno to give
      }
    }
    return sent;
  }

  /** Calls `cb` after libpcap delivers frames, and again while frames stay staged; null stops. */
  onReadable(cb: (() => void) | null): void {
    this.cb = cb;
    if (cb && this.head < this.tail && !this.wakeQueued) {
      this.wakeQueued = true;
      setImmediate(this.wake);
    }
  }

  /** libpcap's counters per interface (ps_drop: the kernel buffer overflowed). */
  stats(): Array<{ received: number; dropped: number }> {
    return this.sessions.map((s) => {
      const st = s.stats();
      return { received: st.ps_recv, dropped: st.ps_drop };
    });
  }

  /** Frames lost to libpcap's buffer or our staging area count as ring drops; inject has no "would block". */
  counters(): PortCounters {
    const ring = this.closed ? 0 : this.stats().reduce((n, s) => n + s.dropped, 0);
    return { ringDrops: ring + this.dropped, truncated: this.truncated, oversize: this.oversize, txUnsent: 0, txErrors: this.txErrors };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cb = null;
    for (const s of this.sessions) {
      s.close(); // only pcap_breakloop()...
      try {
        s.session.dispatch(s.buf, s.header); // ...the break then stops the poll and closes the handle
      } catch {
        /* already closed */
      }
    }
    this.head = this.tail = 0;
  }
}
