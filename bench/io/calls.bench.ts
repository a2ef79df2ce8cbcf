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
import { measure, type Row } from '../lib/report.js';
import { isRoot, NetnsLab } from './netns.js';

export function runCallBench(opts: { quick?: boolean } = {}): Row[] {
  if (!isRoot()) return [{ backend: 'all', skipped: 'needs root (network namespaces, AF_PACKET)' }];
  const native = loadNative();
  if (!native.addon) return [{ backend: 'all', skipped: `the native addon is not built (${native.reason})` }];
  const minMs = opts.quick ? 200 : 1000;
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
        const rx = measure((n) => {
          for (let i = 0; i < n; i++) {
            batch.reset();
            port.rx(batch, batch.capacity);
          }
          return n;
        }, { minMs });
        batch.reset();
        const tx = measure((n) => {
          for (let i = 0; i < n; i++) port.tx(batch);
          return n;
        }, { minMs });
        rows.push({ backend: name, 'ns / rx() (empty)': Math.round(rx.nsPerOp), 'ns / tx() (empty batch)': Math.round(tx.nsPerOp), calls: rx.ops + tx.ops });
      } finally {
        port.close();
      }
    }
  } finally {
    lab.cleanup();
  }
  return rows;
}
