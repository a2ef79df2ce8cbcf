// Per-connection TCP sequence-number translation (as IPVS's ip_vs_seq for its
// FTP helper, and DPVS's synproxy "syn_proxy_seq"): the client and the real
// server see two different numberings of the server's bytes, off by a constant
// delta. Server -> client segments get seq + delta; client -> server segments
// get ack - delta and each SACK block's edges - delta (they name server bytes).
//
// What is kept per connection (a ConnTable slot; preallocated, 4 bytes per slot):
//   delta[slot]  int32, the client's view minus the server's (mod 2^32).
// A connection uses it only while ConnTable flags carry CONN_F_SEQ_ADJUST, so a
// slot's stale delta from an earlier connection is never read. One constant
// delta covers the SYN proxy (cookie ISN vs the server's ISN); a helper whose
// delta changes mid-stream (FTP's PORT rewriting: IPVS keeps init_seq, delta,
// previous_delta) would add its fields beside this one.
//
// `partial`: the frame's TCP checksum is a CHECKSUM_PARTIAL pseudo-header sum
// (packet/rewrite.ts); sequence numbers are not in it, so it is left alone.
import { readU16, readU32, writeU16, writeU32 } from '../packet/bytes.js';
import { applyDiff, diff32 } from '../packet/checksum.js';

const TCP_SEQ = 4;
const TCP_ACK = 8;
const TCP_CSUM = 16;
const TCP_ACK_FLAG = 0x10;
const OPT_EOL = 0, OPT_NOP = 1, OPT_SACK = 5;

export class SeqAdjust {
  readonly delta: Int32Array;

  constructor(readonly capacity: number) {
    // Slot numbers run 1..capacity.
    this.delta = new Int32Array(capacity + 1);
  }

  set(slot: number, delta: number): void {
    this.delta[slot] = delta | 0;
  }

  /** Server -> client: seq + delta. l4 is the TCP header's offset in buf. */
  toClient(buf: Uint8Array, l4: number, slot: number, partial: boolean): void {
    const d = this.delta[slot];
    if (d === 0) return;
    const old = readU32(buf, l4 + TCP_SEQ);
    const seq = (old + d) >>> 0;
    writeU32(buf, l4 + TCP_SEQ, seq);
    if (!partial) writeU16(buf, l4 + TCP_CSUM, applyDiff(readU16(buf, l4 + TCP_CSUM), diff32(old, seq)));
  }

  /** Client -> server: ack - delta (when ACK is set) and the SACK blocks' edges - delta. */
  toServer(buf: Uint8Array, l4: number, slot: number, partial: boolean): void {
    const d = this.delta[slot];
    if (d === 0 || (buf[l4 + 13] & TCP_ACK_FLAG) === 0) return;
    const old = readU32(buf, l4 + TCP_ACK);
    const ack = (old - d) >>> 0;
    writeU32(buf, l4 + TCP_ACK, ack);
    let diff = diff32(old, ack);
    const hl = (buf[l4 + 12] >>> 4) << 2;
    if (hl > 20) diff += sackMinus(buf, l4 + 20, l4 + hl, d);
    if (!partial) writeU16(buf, l4 + TCP_CSUM, applyDiff(readU16(buf, l4 + TCP_CSUM), diff));
  }
}

/**
 * Walks the TCP options from `at` to `end`; each SACK block's edges (RFC 2018:
 * kind 5, length 2 + 8n) minus d. Returns the checksum difference. A malformed
 * option list stops the walk (the receiver would ignore it too).
 */
function sackMinus(buf: Uint8Array, at: number, end: number, d: number): number {
  let diff = 0;
  while (at < end) {
    const kind = buf[at];
    if (kind === OPT_EOL) break;
    if (kind === OPT_NOP) {
      at++;
      continue;
    }
    if (at + 1 >= end) break;
    const len = buf[at + 1];
    if (len < 2 || at + len > end) break;
    if (kind === OPT_SACK && (len - 2) % 8 === 0) {
      for (let e = at + 2; e < at + len; e += 4) {
        const old = readU32(buf, e);
        const v = (old - d) >>> 0;
        writeU32(buf, e, v);
        diff += diff32(old, v);
      }
    }
    at += len;
  }
  return diff;
}
