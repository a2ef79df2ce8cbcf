// tsvs replay end to end on the committed captures: what the router would send,
// per interface, with MACs learnt from the capture, and the counters.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { replay } from '../../src/cli/replay.js';
import { PcapReader } from '../../src/io/pcap-reader.js';
import { pcapBytes } from '../../src/io/pcap-writer.js';
import { formatIPv4, formatMac } from '../../src/model/index.js';
import { buildTcp, fragmentFrame } from '../../src/packet/build.js';
import { writeFileSync } from 'node:fs';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'tsvs-replay-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function frames(path: string): Uint8Array[] {
  const r = new PcapReader(path);
  const out: Uint8Array[] = [];
  for (let rec = r.next(); rec; rec = r.next()) out.push(rec.data.slice());
  r.close();
  return out;
}
const ipAt = (f: Uint8Array, off: number): string => formatIPv4(((f[off] << 24) | (f[off + 1] << 16) | (f[off + 2] << 8) | f[off + 3]) >>> 0);
const tcpFrames = (fs: Uint8Array[]) => fs.filter((f) => f[12] === 8 && f[13] === 0);

describe('tsvs replay', () => {
  it('NAT: client frames go to the real servers on eth1, replies back to the gateway on eth0', () => {
    const out = tmp();
    const res = replay({ config: 'test/fixtures/config/nat.cf', input: 'test/fixtures/pcap/nat-http.pcap', outDir: out });
    expect(res.read).toBe(30);
    // eth0 carries, besides the replies and ARP answers, the reset of the capture's one segment of no connection.
    expect(res.sent).toEqual({ eth0: 11, eth1: 18 });
    const toServers = tcpFrames(frames(join(out, 'eth1.pcap')));
    // wlc: web3 (list head), then web2, then web1, five client segments each.
    expect(toServers.map((f) => ipAt(f, 30))).toEqual([...Array(5).fill('198.19.0.13'), ...Array(5).fill('198.19.0.12'), ...Array(5).fill('198.19.0.11')]);
    // Destination MACs were learnt from the real servers' ARP in the capture.
    expect(formatMac(toServers[0], 0)).toBe('02:52:00:00:00:12');
    expect(formatMac(toServers[0], 6)).toBe('02:74:73:76:00:02');
    const toClients = tcpFrames(frames(join(out, 'eth0.pcap')));
    expect(toClients).toHaveLength(10);
    expect(toClients.filter((f) => f[47] === 0x04)).toHaveLength(1);
    for (const f of toClients) {
      expect(ipAt(f, 26)).toBe('198.18.0.10');
      expect((f[34] << 8) | f[35]).toBe(80);
      expect(formatMac(f, 0)).toBe('02:67:77:00:00:01');
    }
    expect(res.counters).toMatchObject({ conns_created: 3, arp_replies: 4, drop_tcp_no_connection: 1, tcp_resets_sent: 1, drop_malformed_truncated_ethernet: 1 });
    // The table as `tsvs admin -L -n` and `--stats` print it: one finished
    // connection per server, five client segments in and three replies out each.
    const report = res.report.split('\n');
    expect(report).toContain('  -> 198.19.0.13:80               Masq    2      0          1         ');
    expect(report).toContain('TCP  198.18.0.10:80                      3       15        9      654      480');
    expect(report).toContain('  -> 198.19.0.11:80                      1        5        3      218      160');
    expect(res.missing).toEqual([]);
  });

  it('DR: only MACs change, everything leaves on the VIP interface', () => {
    const out = tmp();
    const res = replay({ config: 'test/fixtures/config/dr.cf', input: 'test/fixtures/pcap/dr-http.pcap', outDir: out });
    expect(res.sent).toEqual({ eth0: 9 });
    const sent = tcpFrames(frames(join(out, 'eth0.pcap')));
    expect(sent.map((f) => ipAt(f, 30))).toEqual(Array(9).fill('198.18.0.10'));
    expect(new Set(sent.map((f) => formatMac(f, 0)))).toEqual(new Set(['02:52:00:00:00:10', '02:52:00:00:00:11', '02:52:00:00:00:12']));
  });

  it('LVS-TUN: the DR capture with network = tunnel leaves as IPIP to each server, the client datagrams inside untouched', () => {
    const out = tmp();
    const config = join(out, 'tun.cf');
    writeFileSync(config, readFileSync('test/fixtures/config/dr.cf', 'utf8').replace('network = direct', 'network = tunnel'));
    const res = replay({ config, input: 'test/fixtures/pcap/dr-http.pcap', outDir: out });
    expect(res.sent).toEqual({ eth0: 9 });
    expect(res.counters).toMatchObject({ tunneled: 9 });
    const sent = tcpFrames(frames(join(out, 'eth0.pcap')));
    const inputs = tcpFrames(frames('test/fixtures/pcap/dr-http.pcap')).filter((f) => ipAt(f, 30) === '198.18.0.10' && f[23] === 6);
    expect(sent.map((f) => f[23])).toEqual(Array(9).fill(4));
    // Outer: from the VIP (replay knows no kernel address; the VIP's /24 holds the servers) to the server it was scheduled to.
    expect(sent.map((f) => ipAt(f, 26))).toEqual(Array(9).fill('198.18.0.10'));
    // Each to the MAC the capture's ARP taught for its outer destination (.21 -> 02:52:00:00:00:10, ...).
    expect(sent.map((f) => `${ipAt(f, 30)} ${formatMac(f, 0)}`)).toEqual(sent.map((f) => `198.18.0.2${f[5] - 0x0f} 02:52:00:00:00:${f[5].toString(16)}`));
    expect(sent.map((f) => Buffer.from(f.subarray(34)).toString('hex'))).toEqual(inputs.map((f) => Buffer.from(f.subarray(14)).toString('hex')));
    expect(res.report.split('\n')).toContain('  -> 198.18.0.21:80               Tunnel  1      0          1         ');
  });

  it('--mac sets the router MACs; an unknown next hop is reported and --neigh supplies it', () => {
    const dir = tmp();
    const input = join(dir, 'in.pcap');
    const syn = buildTcp({ srcMac: '02:67:77:00:00:01', dstMac: '02:aa:00:00:00:01', src: 0xc6120101, dst: 0xc612000a, sport: 5000, dport: 80, flags: 2 });
    writeFileSync(input, pcapBytes([{ tsMs: 1, data: syn }]));
    const a = replay({ config: 'test/fixtures/config/nat.cf', input, outDir: join(dir, 'a'), macs: { eth0: '02:aa:00:00:00:01', eth1: '02:aa:00:00:00:02' } });
    expect(a.sent).toEqual({ eth0: 0, eth1: 0 });
    expect(a.missing).toEqual(['198.19.0.13 (1 frame)']);
    expect(a.report).toContain('next hop unknown');
    const b = replay({ config: 'test/fixtures/config/nat.cf', input, outDir: join(dir, 'b'), macs: { eth1: '02:aa:00:00:00:02' }, neighbours: ['198.19.0.13=02:52:00:00:00:99'] });
    const [f] = frames(join(dir, 'b', 'eth1.pcap'));
    expect(formatMac(f, 0)).toBe('02:52:00:00:00:99');
    expect(formatMac(f, 6)).toBe('02:aa:00:00:00:02');
  });

  it('says what is wrong with bad options instead of guessing', () => {
    const out = tmp();
    const base = { config: 'test/fixtures/config/nat.cf', input: 'test/fixtures/pcap/nat-http.pcap', outDir: out };
    expect(() => replay({ ...base, macs: { eth9: '02:00:00:00:00:01' } })).toThrow(/no device eth9/);
    expect(() => replay({ ...base, macs: { eth0: 'nope' } })).toThrow(/not a MAC address/);
    expect(() => replay({ ...base, neighbours: ['1.2.3'] })).toThrow(/want IP=MAC/);
    expect(() => replay({ ...base, config: 'test/fixtures/config/bad/BADNETMASK.cf' })).toThrow(/BADNETMASK/);
  });
  it('a capture whose last record is cut short: the complete records are replayed, with one warning', () => {
    const out = tmp();
    const whole = readFileSync('test/fixtures/pcap/nat-http.pcap');
    const input = join(out, 'cut.pcap');
    writeFileSync(input, whole.subarray(0, whole.length - 10)); // a tcpdump killed mid-write
    const res = replay({ config: 'test/fixtures/config/nat.cf', input, outDir: out });
    expect(res.read).toBe(29);
    const warnings = res.report.split('\n').filter((l) => l.startsWith('warning:'));
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`^warning: ${input}: truncated dump file: record header says \\d+ bytes of data, file has \\d+ at byte offset \\d+; the 29 complete records before it were replayed$`))]);
  });

  it('a first fragment that comes after a later one goes out first, the held one right after it', () => {
    const dir = tmp();
    const input = join(dir, 'frags.pcap');
    const payload = Uint8Array.from({ length: 2000 }, (_, k) => k & 0xff);
    const syn = buildTcp({ srcMac: '02:67:77:00:00:01', dstMac: '02:aa:00:00:00:01', src: 0xc6120101, dst: 0xc612000a, sport: 5000, dport: 80, flags: 2, id: 77, payload });
    const [f0, f1] = fragmentFrame(syn, 1480);
    writeFileSync(input, pcapBytes([{ tsMs: 1, data: f1 }, { tsMs: 2, data: f0 }]));
    const res = replay({ config: 'test/fixtures/config/nat.cf', input, outDir: join(dir, 'out'), macs: { eth0: '02:aa:00:00:00:01', eth1: '02:aa:00:00:00:02' }, neighbours: ['198.19.0.13=02:52:00:00:00:99'] });
    expect(res.sent).toEqual({ eth0: 0, eth1: 2 });
    const out = frames(join(dir, 'out', 'eth1.pcap'));
    // Offsets 0 then 1480 (185 units), both to the real server.
    expect(out.map((f) => [(f[20] << 8 | f[21]) & 0x1fff, ipAt(f, 30)])).toEqual([[0, '198.19.0.13'], [185, '198.19.0.13']]);
  });
});
