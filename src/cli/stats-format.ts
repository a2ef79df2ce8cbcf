// The running engine's table as `ipvsadm -L -n --stats` prints it, with the
// active/inactive counts of `ipvsadm -L -n` beside it.
import type { Engine } from '../engine/engine.js';
import { snapshot, type DestStats } from '../router/stats.js';

/** ipvsadm's print_largenum: 9 columns, K/M/G/T past 1e8 unless exact. */
export function largeNum(n: number, exact = false): string {
  if (exact || n < 1e8) return String(n).padStart(9);
  const units = ['K', 'M', 'G', 'T'];
  let v = n / 1000;
  let u = 0;
  while (v >= 1e8 / 10 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${Math.floor(v)}${units[u]}`.padStart(9);
}

export function formatStats(engine: Engine, exact = false): string {
  const out = [
    `${'Prot LocalAddress:Port'.padEnd(33)}    Conns   InPkts  OutPkts  InBytes OutBytes ActiveConn InActConn`,
    '  -> RemoteAddress:Port',
  ];
  // The snapshot already lists real servers as ipvsadm --sort does (by address, then port).
  for (const svc of snapshot(engine, 0).services) {
    const [prot, where] = svc.service.split(' ');
    const sum = (f: (d: DestStats) => number): number => svc.dests.reduce((a, d) => a + f(d), 0);
    out.push(
      line(`${prot.padEnd(4)} ${where}`, [sum((d) => d.conns), sum((d) => d.inPkts), sum((d) => d.outPkts), sum((d) => d.inBytes), sum((d) => d.outBytes)], sum((d) => d.active), sum((d) => d.inactive), exact),
      ...svc.dests.map((d) => line(`  -> ${d.address}`, [d.conns, d.inPkts, d.outPkts, d.inBytes, d.outBytes], d.active, d.inactive, exact)),
    );
  }
  return out.join('\n');
}

function line(name: string, nums: number[], active: number, inactive: number, exact: boolean): string {
  return `${name.padEnd(33)}${nums.map((n) => largeNum(n, exact)).join('')} ${String(active).padStart(10)} ${String(inactive).padStart(9)}`;
}
