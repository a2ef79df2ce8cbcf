import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { describeFrame } from '../../src/cli/capture.js';
import { buildArp, buildTcp, buildUdp } from '../../src/packet/build.js';

const ip = (s: string): number => s.split('.').reduce((a, b) => a * 256 + Number(b), 0);
const ROOT = process.getuid?.() === 0;

describe('tsvs capture', () => {
  it('describes frames one line each, tcpdump-like', () => {
    expect(describeFrame(buildTcp({ srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', src: ip('198.18.0.1'), dst: ip('198.18.0.10'), sport: 4000, dport: 80, flags: 0x12, payload: new Uint8Array(4) })))
      .toBe('02:00:00:00:00:01 > 02:00:00:00:00:02 TCP 198.18.0.1:4000 > 198.18.0.10:80 [SA] len 44');
    expect(describeFrame(buildUdp({ srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', src: ip('198.18.0.1'), dst: ip('198.18.0.10'), sport: 5, dport: 53 })))
      .toContain('UDP 198.18.0.1:5 > 198.18.0.10:53 len 28');
    expect(describeFrame(buildArp({ srcMac: '02:00:00:00:00:01', dstMac: 'ff:ff:ff:ff:ff:ff', op: 1, senderMac: '02:00:00:00:00:01', senderIp: ip('198.18.0.1'), targetIp: ip('198.18.0.10') })))
      .toContain('ARP who-has 198.18.0.10 tell 198.18.0.1');
    expect(describeFrame(new Uint8Array(20))).toContain('len 20');
  });

  (ROOT ? it : it.skip)('captures what arrives on an interface, bounded by count [root]', () => {
    const a = `tsvs-cap-${process.pid}-a`;
    const b = `tsvs-cap-${process.pid}-b`;
    const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
    let r;
    try {
      sh(`ip netns add ${a} && ip netns add ${b} && ip -n ${a} link add va type veth peer name vb netns ${b} && ip -n ${a} addr add 198.18.200.1/24 dev va && ip -n ${b} addr add 198.18.200.2/24 dev vb && ip -n ${a} link set va up && ip -n ${b} link set vb up`);
      // The capture opens first; the pings follow 1.5 s later; both stop by themselves.
      r = spawnSync('sh', ['-c', `(sleep 1.5; ip netns exec ${a} ping -c 3 -i 0.2 -W 1 198.18.200.2 >/dev/null) & ip netns exec ${b} node dist/src/cli/main.js capture -i vb -f icmp -c 2 --seconds 8; wait`], { encoding: 'utf8', timeout: 20_000 });
    } finally {
      sh(`ip netns del ${a}; ip netns del ${b}`);
    }
    const lines = r!.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('ICMP 198.18.200.1 > 198.18.200.2 type 8 code 0');
    expect(r!.stderr).toContain('2 frames');
  }, 30_000);
});
