// The running engine's table as `ipvsadm -L -n --stats` prints it, with the
// active/inactive counts of `ipvsadm -L -n` beside it.
import type { Engine } from '../engine/engine.js';
import { formatIPv4 } from '../model/index.js';

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
  const rt = engine.services;
  const d = rt.dests;
  const out = [
    `${'Prot LocalAddress:Port'.padEnd(33)}    Conns   InPkts  OutPkts  InBytes OutBytes ActiveConn InActConn`,
    '  -> RemoteAddress:Port',
  ];
  for (const svc of rt.services) {
    if (!svc || !svc.live) continue;
    const m = svc.model;
    const name = m.fwmark ? `FWM  ${m.fwmark}` : `${m.protocol.toUpperCase().padEnd(4)} ${formatIPv4(m.address)}:${m.port}`;
    let conns = 0, ip = 0, op = 0, ib = 0, ob = 0, act = 0, inact = 0;
    const rows: string[] = [];
    // ipvsadm --sort (its default): real servers by address, then port.
    const ids = [...svc.ids].sort((a, b) => rt.destAddr[a] - rt.destAddr[b] || rt.destPort[a] - rt.destPort[b]);
    for (const id of ids) {
      conns += rt.destConns[id];
      ip += rt.destInPkts[id];
      op += rt.destOutPkts[id];
      ib += rt.destInBytes[id];
      ob += rt.destOutBytes[id];
      act += d.active[id];
      inact += d.inactive[id];
      const dn = `  -> ${formatIPv4(rt.destAddr[id])}:${rt.destPort[id]}`;
      rows.push(line(dn, [rt.destConns[id], rt.destInPkts[id], rt.destOutPkts[id], rt.destInBytes[id], rt.destOutBytes[id]], d.active[id], d.inactive[id], exact));
    }
    out.push(line(name, [conns, ip, op, ib, ob], act, inact, exact), ...rows);
  }
  return out.join('\n');
}

function line(name: string, nums: number[], active: number, inactive: number, exact: boolean): string {
  return `${name.padEnd(33)}${nums.map((n) => largeNum(n, exact)).join('')} ${String(active).padStart(10)} ${String(inactive).padStart(9)}`;
}
