// A batch of frames: one long-lived byte buffer and per-frame descriptors in typed
// arrays. I/O backends fill it, the engine rewrites frames in place and sets a
// verdict and egress interface per frame, backends send the TX ones. Nothing in
// it is allocated per frame. It lives below both io/ and engine/: it is the
// contract between them, and neither imports the other.

/** What the engine decided for a frame. */
export const VERDICT_TX = 1; // send frame (rewritten in place) on ifOut
export const VERDICT_DROP = 2; // dropped; the reason is counted
export const VERDICT_PASS = 3; // not for the router's data plane; left alone

export class Batch {
  /** Frames live at buf[off[i] .. off[i]+len[i]). */
  readonly buf: Uint8Array;
  readonly off: Uint32Array;
  readonly len: Uint32Array;
  /** Interface index the frame arrived on (set by the backend). */
  readonly ifIn: Uint8Array;
  /** Interface index to send on (set by the engine when verdict is TX). */
  readonly ifOut: Uint8Array;
  readonly verdict: Uint8Array;
  /** Drop reason code when verdict is DROP (see engine/counters.ts). */
  readonly reason: Uint8Array;
  /**
   * Offload state from a virtio-net header (AF_PACKET with PACKET_VNET_HDR):
   * csumPartial[i] = 1 when the TCP/UDP checksum field holds only the partial
   * pseudo-header sum (VIRTIO_NET_HDR_F_NEEDS_CSUM), so rewrites must update it
   * as a sum; gsoType/gsoSize/hdrLen/csumStart/csumOffset are carried through
   * unchanged so the backend can send a GSO super-frame whole. Zero otherwise.
   */
  readonly csumPartial: Uint8Array;
  readonly gsoType: Uint8Array;
  readonly gsoSize: Uint16Array;
  readonly hdrLen: Uint16Array;
  readonly csumStart: Uint16Array;
  readonly csumOffset: Uint16Array;
  /** Frames in use: 0..count-1. */
  count = 0;
  /**
   * Places for frames in all: `capacity` for received ones, and past them spare
   * places for frames the engine adds (held fragments released, the segments it
   * cuts a GSO super-frame into for a tunnel): Batch.append may go up to here.
   */
  readonly slots: number;
  /**
   * Where received frames must end: the bytes from here to the end of `buf` stay
   * free for frames the engine makes longer than they came (an LVS-TUN frame
   * gains an outer IP header, an ICMP error quotes the datagram), written after
   * the last received frame instead of allocating (engine/spill.ts).
   */
  readonly limit: number;

  constructor(
    readonly capacity: number,
    bufferBytes = capacity * 2048,
    /** Bytes at the end kept free of received frames (see `limit`). */
    tailroom = 0,
    /** Places past `capacity` kept for frames the engine appends (see `slots`). */
    spare = 0,
  ) {
    if (tailroom < 0 || (tailroom > 0 && tailroom >= bufferBytes)) throw new RangeError(`tailroom ${tailroom} must be below the buffer's ${bufferBytes} bytes`);
    this.buf = new Uint8Array(bufferBytes);
    this.limit = bufferBytes - tailroom;
    this.slots = capacity + spare;
    const n = this.slots;
    this.off = new Uint32Array(n);
    this.len = new Uint32Array(n);
    this.ifIn = new Uint8Array(n);
    this.ifOut = new Uint8Array(n);
    this.verdict = new Uint8Array(n);
    this.reason = new Uint8Array(n);
    this.csumPartial = new Uint8Array(n);
    this.gsoType = new Uint8Array(n);
    this.gsoSize = new Uint16Array(n);
    this.hdrLen = new Uint16Array(n);
    this.csumStart = new Uint16Array(n);
    this.csumOffset = new Uint16Array(n);
  }

  /** Empties the batch for refilling. */
  reset(): void {
    this.count = 0;
  }

  /** Bytes used by frames so far: where the next frame may be copied. */
  get used(): number {
    if (this.count === 0) return 0;
    const last = this.count - 1;
    return this.off[last] + this.len[last];
  }

  /**
   * Copies one frame in (the memory and pcap-file backends use this; the native
   * ring fills off/len directly). Returns false when the batch or buffer is full.
   */
  push(frame: Uint8Array, ifIn: number): boolean {
    const at = this.used;
    if (this.count === this.capacity || at + frame.length > this.limit) return false;
    this.buf.set(frame, at);
    this.append(at, frame.length, ifIn);
    return true;
  }

  /**
   * The `len` bytes already written at `at` become the next frame, with no
   * verdict and no offload state; returns its index. The caller checked that
   * the batch has a place left (count below `slots`; the engine appends the frames it held, written
   * past the received ones: Engine.spill).
   */
  append(at: number, len: number, ifIn: number): number {
    const i = this.count++;
    this.off[i] = at;
    this.len[i] = len;
    this.ifIn[i] = ifIn;
    this.ifOut[i] = 0;
    this.verdict[i] = 0;
    this.reason[i] = 0;
    this.csumPartial[i] = 0;
    this.gsoType[i] = 0;
    this.gsoSize[i] = 0;
    this.hdrLen[i] = 0;
    this.csumStart[i] = 0;
    this.csumOffset[i] = 0;
    return i;
  }

  /** A view (no copy) of frame i. */
  frame(i: number): Uint8Array {
    return this.buf.subarray(this.off[i], this.off[i] + this.len[i]);
  }
}
