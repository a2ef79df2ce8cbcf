// Fragmenting a datagram the router forwards, as the kernel's ip_fragment does
// after IPVS has rewritten it (ip_vs_send_or_cont -> ip_output): a datagram with
// DF clear that is longer than the MTU of the interface it leaves by goes out
// in fragments. The forward path only notes the frame (Engine.fragmentLater)
// and finishes it as usual (NAT rewrite, LVS-TUN's outer header, MACs); after
// the batch, each noted frame is cut here by its egress MTU: the first fragment
// in its place, the others appended (Batch.slots) with the same link header. A
// checksum the sender left to the device is completed first: a fragment cannot
// carry one. What the batch has no room for is dropped whole, counted as
// too_big_not_fragmented.
import { readU16, writeU16 } from '../packet/bytes.js';
import { sum16 } from '../packet/checksum.js';
import { IP_MF, IP_OFFMASK, ipv4SetChecksum } from '../packet/ipv4.js';
import { VERDICT_TX, type Batch } from '../frames/batch.js';
import { DROP_TOO_BIG, N_FRAGMENTED, N_FRAGMENTS_OUT } from './counters.js';
import type { Engine } from './engine.js';
import { clearOffload } from './icmp-send.js';
import { DEFAULT_MTU, MTU_UNKNOWN } from './l2.js';

/** Frames noted per batch; more are dropped (too_big_not_fragmented). */
export const FRAGMENT_LATER_MAX = 64;
const ETH_HLEN = 14;

/**
 * Cuts every frame noted in this batch that is still to be sent; returns the
 * change to the batch's sent count (fragments appended, less frames dropped).
 */
export function fragmentNoted(engine: Engine, batch: Batch): number {
  let delta = 0;
  const noted = engine.fragNoted;
  for (let k = 0; k < engine.fragNotedCount; k++) {
    const i = noted[k];
    if (batch.verdict[i] !== VERDICT_TX) continue;
    const added = fragment(engine, batch, i);
    if (added >= 0) delta += added;
    else {
      batch.verdict[i] = engine.drop(batch, i, DROP_TOO_BIG);
      delta--;
    }
  }
  engine.fragNotedCount = 0;
  return delta;
}

/** Frame i's datagram (after its link header) in fragments; the number appended, or -1 with no room. */
function fragment(engine: Engine, batch: Batch, i: number): number {
  const buf = batch.buf;
  const o = batch.off[i];
  const l3 = o + ETH_HLEN;
  const ihl = (buf[l3] & 0x0f) << 2;
  const total = readU16(buf, l3 + 2);
  const dev = engine.l2.ifMtu[batch.ifOut[i]];
  const mtu = dev === MTU_UNKNOWN ? DEFAULT_MTU : dev;
  if (total <= mtu) return 0;
  // Every fragment but the last carries a multiple of 8 bytes (RFC 791).
  const step = (mtu - ihl) & ~7;
  const data = total - ihl;
  const n = Math.ceil(data / step);
  if (step <= 0 || batch.count + n - 1 > batch.slots || engine.spillRoom(batch) < (n - 1) * (ETH_HLEN + ihl + step)) return -1;
  if (batch.csumPartial[i] !== 0) completeChecksum(batch, i, l3 + total);
  clearOffload(batch, i);
  const frag = readU16(buf, l3 + 6);
  const offset0 = frag & IP_OFFMASK;
  const lastMf = frag & IP_MF;
  for (let k = 1; k < n; k++) {
    const len = k === n - 1 ? data - k * step : step;
    const at = engine.spill(batch, ETH_HLEN + ihl + len);
    buf.copyWithin(at, o, l3 + ihl);
    buf.copyWithin(at + ETH_HLEN + ihl, l3 + ihl + k * step, l3 + ihl + k * step + len);
    const f3 = at + ETH_HLEN;
    // ip_options_fragment: options without the copied flag are not repeated after the first fragment.
    if (ihl > 20) dropUncopiedOptions(buf, f3, ihl);
    writeHeader(buf, f3, ihl, len, (frag & ~(IP_OFFMASK | IP_MF)) | (offset0 + ((k * step) >> 3)) | (k === n - 1 ? lastMf : IP_MF));
    const j = batch.append(at, ETH_HLEN + ihl + len, batch.ifIn[i]);
    batch.ifOut[j] = batch.ifOut[i];
    batch.verdict[j] = VERDICT_TX;
  }
  writeHeader(buf, l3, ihl, step, frag | IP_MF);
  batch.len[i] = ETH_HLEN + ihl + step;
  engine.counters.n[N_FRAGMENTED]++;
  engine.counters.n[N_FRAGMENTS_OUT] += n;
  return n - 1;
}

function writeHeader(buf: Uint8Array, l3: number, ihl: number, len: number, frag: number): void {
  writeU16(buf, l3 + 2, ihl + len);
  writeU16(buf, l3 + 6, frag);
  ipv4SetChecksum(buf, l3, ihl);
}

/** Fills in the TCP or UDP checksum the sender left to the device (from csumStart, the pseudo-header sum already in the field). */
function completeChecksum(batch: Batch, i: number, end: number): void {
  const buf = batch.buf;
  const start = batch.off[i] + batch.csumStart[i];
  const field = start + batch.csumOffset[i];
  let c = ~sum16(buf, start, end - start) & 0xffff;
  // RFC 768: a UDP checksum computed as zero is sent as all ones (0 means none); harmless for TCP.
  if (c === 0) c = 0xffff;
  writeU16(buf, field, c);
}

/** Replaces the options of a non-first fragment's header that are not to be copied (flag bit 0x80 clear) with NOPs. */
function dropUncopiedOptions(buf: Uint8Array, l3: number, ihl: number): void {
  let p = l3 + 20;
  const end = l3 + ihl;
  while (p < end) {
    const type = buf[p];
    if (type === 0) return; // end of options
    if (type === 1) {
      p++;
      continue;
    }
    const len = p + 1 < end ? buf[p + 1] : 0;
    if (len < 2 || p + len > end) return;
    if ((type & 0x80) === 0) buf.fill(1, p, p + len);
    p += len;
  }
}
