// The M-in-the-middle forwarding loop of the io tests and benches: every frame that
// arrives on interface k leaves on routes[k].out with its MACs rewritten, and
// nothing else changes; GSO super-frames and partial checksums pass through as the
// backend received them. Event-driven (onReadable) or busy-polled (pump()).
import { Batch, VERDICT_TX } from '../../src/frames/batch.js';
import type { PacketPort } from '../../src/frames/port.js';

export interface ReadablePort extends PacketPort {
  onReadable(cb: (() => void) | null): void;
}

export interface Route {
  /** Interface index to send on. */
  out: number;
  /** New destination and source MACs. */
  dst: Uint8Array;
  src: Uint8Array;
}

export function macBytes(text: string): Uint8Array {
  return Uint8Array.from(text.split(':'), (h) => parseInt(h, 16));
}

export class Forwarder {
  forwarded = 0;
  sent = 0;
  /** Frames that came with offload state: GSO super-frames, and partial checksums. */
  gso = 0;
  partial = 0;
  private readonly batch: Batch;
  /** The 12 bytes written over each frame's MACs, per ingress interface. */
  private readonly heads: Uint8Array[];

  constructor(
    private readonly port: PacketPort,
    private readonly routes: Route[],
    opts: { batchFrames?: number; bufferBytes?: number; maxBatchesPerWake?: number } = {},
  ) {
    const frames = opts.batchFrames ?? 256;
    // GSO super-frames reach 64 KiB: room for a whole batch of them.
    this.batch = new Batch(frames, opts.bufferBytes ?? 8 << 20);
    this.heads = routes.map((r) => {
      const h = new Uint8Array(12);
      h.set(r.dst, 0);
      h.set(r.src, 6);
      return h;
    });
    this.maxBatches = opts.maxBatchesPerWake ?? 16;
  }

  private readonly maxBatches: number;

  /** One batch: receive, rewrite, send. Returns the frames received. */
  pump(): number {
    const b = this.batch;
    b.reset();
    const n = this.port.rx(b, b.capacity);
    if (n === 0) return 0;
    for (let i = 0; i < n; i++) {
      const k = b.ifIn[i];
      const r = this.routes[k];
      if (!r) continue; // verdict stays 0: not sent
      b.buf.set(this.heads[k], b.off[i]);
      if (b.gsoSize[i] !== 0) this.gso++;
      if (b.csumPartial[i] !== 0) this.partial++;
      b.ifOut[i] = r.out;
      b.verdict[i] = VERDICT_TX;
    }
    this.forwarded += n;
    this.sent += this.port.tx(b);
    return n;
  }

  /** Drains up to maxBatchesPerWake batches each time the port is readable (the event loop keeps breathing). */
  start(): void {
    (this.port as ReadablePort).onReadable(() => {
      for (let k = 0; k < this.maxBatches && this.pump() > 0; k++);
    });
  }

  stop(): void {
    (this.port as ReadablePort).onReadable(null);
  }
}
