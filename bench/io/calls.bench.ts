// What one call into a packet addon costs before it touches a frame: rx() on an
// empty ring and tx() of an empty batch, per port of two devices (each call goes
// to both sockets). At a few frames per wake-up (request/response traffic) the
// data plane makes several of these per frame, so their fixed cost is part of
// the router's CPU per request (README, lab bench). Namespaces and veths of its
// own (bench/io/netns.ts); nothing is sent.
import { AfPacketPort } from '../../src/io/afpacket.js';
import { AfXdpPort, loadXdp } from '../../src/io/afxdp.js';
import { loadNative } from '../../src/io/native.js';
import { Batch } from '../../src/frames/batch.js';
import type { PacketPort } from '../../src/frames/port.js';
import type { Row } from '../lib/report.js';
import { isRoot, NetnsLab } from './netns.js';

const CALLS = 200_000;

/** Nanoseconds per call of `fn`, the best of 5 rounds of `calls` (the least disturbed by the VM). */
function nsPerCall(fn: () => void, calls: number): number {
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / calls);
  }
  return best;
}

export function runCallBench(opts: { quick?: boolean } = {}): Row[] {
  if (!isRoot()) return [{ backend: 'all', skipped: 'needs root (network namespaces, AF_PACKET)' }];
  const native = loadNative();
  if (!native.addon) return [{ backend: 'all', skipped: `the native addon is not built (${native.reason})` }];
  const calls = opts.quick ? CALLS / 10 : CALLS;
  const lab = new NetnsLab();
  const rows: Row[] = [];
  try {
    const m = lab.ns('m');
    const p = lab.ns('p');
    lab.veth(p, 'p0', m, 'ma', { offloads: false });
    lab.veth(p, 'p1', m, 'mb', { offloads: false });
    const open: Array<[string, () => PacketPort]> = [['native AF_PACKET', () => new AfPacketPort(['ma', 'mb'], { netns: m, filter: 'udp' })]];
    const xdp = loadXdp();
    if (xdp.addon) open.push(['AF_XDP (copy mode)', () => new AfXdpPort(['ma', 'mb'], { netns: m }, xdp)]);
    else rows.push({ backend: 'AF_XDP', skipped: xdp.reason });
    const batch = new Batch(256, 256 * 2048);
    for (const [name, make] of open) {
      const port = make();
      try {
        const rx = nsPerCall(() => {
          batch.reset();
          port.rx(batch, batch.capacity);
        }, calls);
        batch.reset();
        const tx = nsPerCall(() => port.tx(batch), calls);
        rows.push({ backend: name, 'ns / rx() (empty)': Math.round(rx), 'ns / tx() (empty batch)': Math.round(tx), calls });
      } finally {
        port.close();
      }
    }
  } finally {
    lab.cleanup();
  }
  return rows;
}
