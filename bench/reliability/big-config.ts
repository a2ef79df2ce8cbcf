// The large config of issue 15 item 10, written at run time: `services` virtual
// services (one VIP, consecutive ports from 80) of `perService` NAT real servers
// each, every server its own address. The servers sit in 198.19.64.0/18 on the NAT
// lab's server LAN (nat_nmask 255.255.0.0 puts them on eth1's network), and one
// real-server namespace answers for all of them (bigServerRoute: an AnyIP local
// route), so 10,000 servers need one httpd, not 10,000.
import { formatIPv4, parseIPv4 } from '../../src/model/index.js';

export const BIG_SERVER_NET = '198.19.64.0/18';
const FIRST_SERVER = parseIPv4('198.19.64.1')!;

export interface BigConfigOptions {
  /** Virtual services (1,000 in the issue). */
  services: number;
  /** Real servers per service (10 in the issue: 10,000 in all). */
  perService: number;
  vip: string;
  natRouter: string;
  /** The first service's port; the others follow. */
  firstPort?: number;
  /** Extra servers for service 0 (a reload adds them). */
  extra?: string[];
}

/** The address of server `j` of service `i`. */
export function bigServerAddr(o: BigConfigOptions, i: number, j: number): string {
  return formatIPv4(FIRST_SERVER + i * o.perService + j);
}

export function bigLvsCf(o: BigConfigOptions): string {
  const first = o.firstPort ?? 80;
  const lines = [
    `# ${o.services} virtual services x ${o.perService} real servers, written by bench/reliability/big-config.ts`,
    'serial_no = 1',
    'primary = 198.18.0.2',
    'service = lvs',
    'backup_active = 0',
    'heartbeat = 0',
    'network = nat',
    `nat_router = ${o.natRouter} eth1:0`,
    'nat_nmask = 255.255.0.0',
  ];
  for (let i = 0; i < o.services; i++) {
    lines.push('', `virtual v${i} {`, '    active = 1', `    address = ${o.vip} eth0:1`, `    port = ${first + i}`, '    scheduler = rr', '    protocol = tcp');
    const servers = Array.from({ length: o.perService }, (_, j) => bigServerAddr(o, i, j));
    if (i === 0) servers.push(...(o.extra ?? []));
    servers.forEach((a, j) => lines.push(`    server s${i}_${j} {`, `        address = ${a}`, '        active = 1', '        port = 80', '        weight = 1', '    }'));
    lines.push('}');
  }
  return lines.join('\n') + '\n';
}
