// Big-endian field access on a Uint8Array by absolute offset. Network byte order
// is big-endian (RFC 791 Appendix B: "the order of transmission of the header and
// data ... is resolved to the octet level ... most significant octet first").
// Plain shifts instead of a DataView: no object per call, and V8 inlines these.

export function readU16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

/** Unsigned: `>>> 0` keeps addresses >= 128.0.0.0 positive. */
export function readU32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

export function writeU16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

export function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Little-endian, for the few formats that carry a host's own byte order (IPVS sync v0's sequence block). */
export function readU32LE(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

export function writeU32LE(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

// A DataView over a frame buffer reads and writes 32-bit words with one load or
// store instead of four. Backends keep one buffer for life, so the view is made
// once per buffer, not per frame.
let viewBuf: Uint8Array | null = null;
let view: DataView = new DataView(new ArrayBuffer(0));

/** The DataView over buf (cached for the last buffer asked for). */
export function viewOf(buf: Uint8Array): DataView {
  if (buf !== viewBuf) {
    view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    viewBuf = buf;
  }
  return view;
}
