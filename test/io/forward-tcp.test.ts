// Bulk TCP between two kernels through a forwarding loop of ours in a namespace in
// the middle (root only). With veth offloads on, the native port must carry GSO
// super-frames and partial checksums whole through the virtio-net header; with them
// off, 1500-byte frames with full checksums. 20 MB, 20 s at most per transfer.
import { afterEach, describe, expect, it } from 'vitest';
import { AfPacketPort } from '../../src/io/afpacket.js';
import { PcapPort } from '../../src/io/pcap-port.js';
import type { PacketPort } from '../../src/frames/port.js';
import { Forwarder } from '../../bench/io/forwarder.js';
import { isRoot } from '../../bench/io/netns.js';
import { tcpLab, transfer, type TcpLab } from '../../bench/io/tcp-lab.js';

const ROOT = isRoot();
const SKIP = ROOT ? '' : ' [skipped: needs root for network namespaces and AF_PACKET sockets]';
const MB = 1 << 20;
const BYTES = Number(process.env.TSVS_IO_TCP_BYTES ?? 20 * MB);

describe.skipIf(!ROOT)(`TCP through an M-in-the-middle forwarder${SKIP}`, () => {
  let t: TcpLab | undefined;
  let port: PacketPort | undefined;
  let fwd: Forwarder | undefined;
  afterEach(() => {
    fwd?.stop();
    port?.close();
    t?.lab.cleanup();
    t = port = fwd = undefined;
  });

  async function run(offloads: boolean, open: (ns: string) => PacketPort, bytes: number) {
    t = tcpLab({ offloads });
    port = open(t.m);
    fwd = new Forwarder(port, t.routes);
    fwd.start();
    const r = await transfer(t, bytes);
    expect(r.received).toBe(r.sent); // "<bytes> <sha256>" at both ends
    expect(r.sent.startsWith(`${bytes} `)).toBe(true);
    return r;
  }

  it('native, offloads on: GSO super-frames and partial checksums pass whole (vnet header)', { timeout: 40_000 }, async () => {
    const r = await run(true, (ns) => new AfPacketPort(['ma', 'mb'], { netns: ns, filter: 'ip' }), BYTES);
    const s = (port as AfPacketPort).stats();
    // Super-frames were seen: fewer frames than 1500-byte segments would need.
    expect(fwd!.forwarded).toBeLessThan(BYTES / 1448);
    expect(fwd!.gso).toBeGreaterThan(0);
    expect(fwd!.partial).toBeGreaterThan(0);
    expect(s.map((x) => x.txErrors)).toEqual([0, 0]);
    console.log(`native, offloads on: ${BYTES >> 20} MB in ${r.seconds.toFixed(2)} s = ${r.mbitPerSec.toFixed(0)} Mbit/s, ${fwd!.forwarded} frames`);
    expect(r.mbitPerSec).toBeGreaterThan(100);
  });

  it('native, offloads off: MTU frames with full checksums', { timeout: 40_000 }, async () => {
    const r = await run(false, (ns) => new AfPacketPort(['ma', 'mb'], { netns: ns, filter: 'ip' }), BYTES);
    expect(fwd!.forwarded).toBeGreaterThan(BYTES / 1500);
    expect([fwd!.gso, fwd!.partial]).toEqual([0, 0]); // full checksums, MTU frames
    console.log(`native, offloads off: ${BYTES >> 20} MB in ${r.seconds.toFixed(2)} s = ${r.mbitPerSec.toFixed(0)} Mbit/s, ${fwd!.forwarded} frames`);
    expect(r.mbitPerSec).toBeGreaterThan(20);
  });

  it('pcap, offloads off (its requirement)', { timeout: 40_000 }, async () => {
    const r = await run(false, (ns) => new PcapPort(['ma', 'mb'], { netns: ns, filter: 'ip', direction: 'mac', warn: () => {} }), BYTES / 2);
    console.log(`pcap, offloads off: ${BYTES >> 21} MB in ${r.seconds.toFixed(2)} s = ${r.mbitPerSec.toFixed(0)} Mbit/s, ${fwd!.forwarded} frames`);
    expect(r.mbitPerSec).toBeGreaterThan(5);
  });
});
