// The memory backend: frames are queued in by hand and the frames the engine
// sends are collected per interface. Tests and the simulator run the real engine
// path through it with no sockets, no root and no clock.
import { VERDICT_TX, type Batch } from '../frames/batch.js';
import type { PacketPort } from '../frames/port.js';

export class MemoryPort implements PacketPort {
  /** Frames sent so far, per egress interface index, in order (copies). */
  readonly sent = new Map<number, Uint8Array[]>();
  private queue: Array<{ ifIndex: number; frame: Uint8Array }> = [];
  /** queue[head..] is still to be received; a head index avoids O(n) shift(). */
  private head = 0;

  /** Queues a frame as if it arrived on `ifIndex`. It is copied, so the caller may reuse it. */
  inject(ifIndex: number, frame: Uint8Array): void {
    this.queue.push({ ifIndex, frame: frame.slice() });
  }

  /** Frames injected but not yet received. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  rx(batch: Batch, max: number): number {
    let n = 0;
    while (n < max && this.head < this.queue.length) {
      const { ifIndex, frame } = this.queue[this.head];
      if (!batch.push(frame, ifIndex)) {
        // A frame no empty batch can hold would block the queue forever: say so.
        if (batch.count === 0) {
          throw new RangeError(`frame of ${frame.length} bytes does not fit in a batch buffer of ${batch.limit} bytes`);
        }
        break; // batch full: the frame stays queued for the next call
      }
      this.head++;
      n++;
    }
    // Forget received entries once they are the bigger part, so a long simulation
    // that keeps injecting does not keep every frame it ever queued.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    } else if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    return n;
  }

  tx(batch: Batch): number {
    let n = 0;
    for (let i = 0; i < batch.count; i++) {
      if (batch.verdict[i] !== VERDICT_TX) continue;
      const port = batch.ifOut[i];
      let list = this.sent.get(port);
      if (!list) this.sent.set(port, (list = []));
      // Copy: the engine rewrites the batch buffer in place on the next round.
      list.push(batch.frame(i).slice());
      n++;
    }
    return n;
  }

  /** Returns the frames sent on `ifIndex` so far and forgets them. */
  takeSent(ifIndex: number): Uint8Array[] {
    const list = this.sent.get(ifIndex) ?? [];
    this.sent.delete(ifIndex);
    return list;
  }

  /** Drops queued and sent frames. */
  close(): void {
    this.queue = [];
    this.head = 0;
    this.sent.clear();
  }
}
