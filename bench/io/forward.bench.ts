// Forwarding rate of the packet I/O backends, end to end in namespaces:
//   G (generator) g0 ── mg  M  ms ── s0 S (sink, no address: counts and drops)
// A generator of ours floods 64-byte UDP frames (60 B + FCS) into M, where the
// Forwarder busy-polls the port under test: rx, rewrite both MACs, tx. Native
// AF_PACKET vs AF_XDP (its program steering every frame) vs the pcap package, same
// run, same lab (LAB-NOTES gotcha 11).
// Offloads off on every veth, for a like-for-like comparison with the pcap backend.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AfPacketPort } from '../../src/io/afpacket.js';
import { AfXdpPort, loadXdp, XdpSteering } from '../../src/io/afxdp.js';
import { loadNative } from '../../src/io/native.js';
import { PcapPort } from '../../src/io/pcap-port.js';
import type { PacketPort } from '../../src/frames/port.js';
import { buildUdp, ipv4Addr } from '../../src/packet/build.js';
import { formatRate, type Row } from '../lib/report.js';
import { Forwarder, macBytes } from './forwarder.js';
import { startGenerator } from './generator.js';
import { isRoot, NetnsLab } from './netns.js';

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

interface Lab {
  lab: NetnsLab;
  g: string;
  m: string;
  s: string;
  frame: Uint8Array;
  routes: ConstructorParameters<typeof Forwarder>[1];
}

function makeLab(): Lab {
  const lab = new NetnsLab();
  try {
    const g = lab.ns('g');
    const m = lab.ns('m');
    const s = lab.ns('s');
    lab.veth(g, 'g0', m, 'mg', { offloads: false });
    lab.veth(s, 's0', m, 'ms', { offloads: false });
    const frame = buildUdp({
      srcMac: lab.mac(g, 'g0'), dstMac: lab.mac(m, 'mg'),
      src: ipv4Addr('198.18.8.1'), dst: ipv4Addr('198.18.9.2'), sport: 4000, dport: 9, payload: new Uint8Array(18),
    });
    // In on mg: out on ms to the sink. Nothing comes back from S.
    const routes = [{ out: 1, dst: macBytes(lab.mac(s, 's0')), src: macBytes(lab.mac(m, 'ms')) }];
    return { lab, g, m, s, frame, routes };
  } catch (e) {
    lab.cleanup();
    throw e;
  }
}

/**
 * Busy-polls the forwarder until `done()` and 50 ms without frames; returns the first
 * and last busy times and the CPU time (µs) from the start to the last busy batch.
 */
function pumpUntilIdle(fwd: Forwarder, done: () => boolean, deadline: number): { first: number; last: number; cpuUs: number } {
  let first = 0;
  let last = 0;
  let idleSince = 0;
  let cpuUs = 0;
  const cpu0 = process.cpuUsage();
  for (let spins = 0, before = performance.now(); before < deadline; spins++) {
    const n = fwd.pump();
    const now = performance.now();
    if (n > 0) {
      if (first === 0) first = before; // the first batch's own work counts too
      last = now;
      idleSince = 0;
      const c = process.cpuUsage(cpu0);
      cpuUs = c.user + c.system;
    } else if (idleSince === 0) idleSince = now;
    else if (now - idleSince > 50 && (spins & 255) === 0 && done()) break;
    before = now;
  }
  return { first, last, cpuUs };
}

function waitFor<T>(get: () => T | null, ms: number, what: string): T {
  const end = performance.now() + ms;
  for (;;) {
    const v = get();
    if (v) return v;
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    sleepSync(10);
  }
}

/**
 * flood: the generator sends for `seconds` while the forwarder runs (what it sustains
 * against this generator; limited by the generator when the forwarder is faster).
 * drain: the generator fills the ring first, then the forwarder empties it flat out
 * (its own limit, as LAB-NOTES measured).
 */
function measure(l: Lab, name: string, port: PacketPort, mode: 'flood' | 'drain', seconds: number, count: number, dir: string): Row {
  const fwd = new Forwarder(port, l.routes, { batchFrames: 256, bufferBytes: 256 * 2048 });
  const sinkBefore = l.lab.rxPackets(l.s, 's0');
  const gen = startGenerator(l.g, 'g0', l.frame, seconds, count, join(dir, `${mode}-${name.length}.json`));
  const deadline = performance.now() + seconds * 1000 + 10_000;
  let result;
  try {
    if (mode === 'drain') {
      result = waitFor(gen.result, seconds * 1000 + 5000, 'the generator');
      sleepSync(5); // the last ring block is handed over 1 ms after its first frame
    }
    const busy = pumpUntilIdle(fwd, () => gen.result() !== null, deadline);
    result ??= waitFor(gen.result, 5000, 'the generator');
    sleepSync(20);
    const delivered = l.lab.rxPackets(l.s, 's0') - sinkBefore;
    const drops =
      port instanceof AfPacketPort ? port.stats().reduce((a, x) => a + x.drops, 0)
        : port instanceof PcapPort ? port.stats().reduce((a, x) => a + x.dropped, 0) + port.dropped
          : port instanceof AfXdpPort ? port.counters().ringDrops : 0;
    const s = (busy.last - busy.first) / 1000;
    const rate = s > 0 ? fwd.forwarded / s : 0;
    return {
      backend: name,
      mode,
      'offered/s': formatRate(result.sent / result.seconds),
      'forwarded/s': formatRate(rate),
      'fwd pps': Math.round(rate),
      // CPU time of this process (user + system, incl. the kernel's send path run in its syscalls)
      // per forwarded frame; in flood mode it includes polling while the generator is slower.
      'cpu µs/frame': Number((busy.cpuUs / Math.max(1, fwd.forwarded)).toFixed(2)),
      sent: result.sent,
      'rx drops': drops,
      delivered,
      'loss %': Number((100 * (1 - delivered / Math.max(1, result.sent))).toFixed(2)),
    };
  } finally {
    if (gen.child.exitCode === null) gen.child.kill('SIGKILL');
  }
}

/** Packets/s forwarded by the native and the pcap backend, flooded and draining (root only). */
export function runForwardBench(opts: { quick?: boolean } = {}): Row[] {
  if (!isRoot()) return [{ backend: 'all', skipped: 'needs root (network namespaces, AF_PACKET)' }];
  const seconds = opts.quick ? 1 : 3;
  const repeats = opts.quick ? 1 : 3;
  const native = loadNative();
  if (!native.addon) return [{ backend: 'all', skipped: `the generator needs the native addon (${native.reason})` }];
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-io-bench-'));
  const l = makeLab();
  const rows: Row[] = [];
  let steering: XdpSteering | null = null;
  try {
    // Frames for a drain run: what each ring holds for sure (256 blocks of >= 1 ms; 32 MiB of 2 KiB libpcap slots).
    const open: Array<[string, () => PacketPort, number]> = [
      ['native AF_PACKET', () => new AfPacketPort(['mg', 'ms'], { netns: l.m, filter: 'udp' }), 50_000],
      ['pcap package', () => new PcapPort(['mg', 'ms'], { netns: l.m, filter: 'udp', direction: 'mac', warn: () => {} }), 12_000],
    ];
    // AF_XDP steering every frame (the lab carries only the bench's UDP): its RX ring holds 8,192 frames.
    const xdp = loadXdp();
    if (xdp.addon) open.splice(1, 0, ['AF_XDP (copy mode)', () => new AfXdpPort(['mg', 'ms'], { netns: l.m }, xdp), 8_000]);
    else rows.push({ backend: 'AF_XDP', skipped: xdp.reason });
    steering = xdp.addon ? new XdpSteering(xdp.addon) : null;
    steering?.steerAll(true);
    for (const [name, make, ringFrames] of open) {
      for (const mode of ['flood', 'drain'] as const) {
        const runs: Row[] = [];
        for (let r = 0; r < repeats; r++) {
          let port: PacketPort | undefined;
          try {
            port = make();
            runs.push(mode === 'flood' ? measure(l, name, port, mode, seconds, 50_000_000, dir) : measure(l, name, port, mode, 5, ringFrames, dir));
          } catch (e) {
            runs.push({ backend: name, mode, skipped: (e as Error).message });
            break;
          } finally {
            port?.close();
          }
        }
        // The median run by forwarding rate (this VM is noisy: LAB-NOTES gotcha 11).
        runs.sort((a, b) => Number(a['fwd pps'] ?? 0) - Number(b['fwd pps'] ?? 0));
        rows.push({ ...runs[runs.length >> 1], runs: runs.length });
      }
    }
  } finally {
    steering?.steerAll(false);
    l.lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
