// `ipvsadm -L -c` (list_conn / print_conn): the connection table as
// /proc/net/ip_vs_conn gives it, one line per connection or template.
import type { ConnView } from '../../control/types.js';
import { mmss } from './format-num.js';
import { nameProto, type Namer } from './names.js';

const pad = (s: string, n: number): string => s.padEnd(n);

/** "pro expire %-11s %-18s %-18s %s", with "%-16s %s" for the persistence engine under --persistent-conn. */
export function connHeader(persistentConn: boolean): string {
  const cols = persistentConn
    ? `${pad('state', 11)} ${pad('source', 18)} ${pad('virtual', 18)} ${pad('destination', 18)} ${pad('pe name', 16)} pe_data`
    : `${pad('state', 11)} ${pad('source', 18)} ${pad('virtual', 18)} destination`;
  return `IPVS connection entries\npro expire ${cols}\n`;
}

/**
 * "%-3s %-6s %-11s %-18s %-18s %s": protocol as the kernel spells it (TCP,
 * UDP, or IP for a firewall-mark template), expiry mm:ss, state, then client,
 * virtual and destination. The pe name/data columns are printed only for a
 * connection that has persistence-engine data, which tsvs never has.
 */
export function connLine(c: ConnView, namer: Namer): string {
  const proto = nameProto(c.protocol);
  const source = namer.addrPort(c.client, c.clientPort, proto);
  const virtual = namer.addrPort(c.virtual, c.virtualPort, proto);
  const dest = namer.addrPort(c.dest, c.destPort, proto);
  return `${pad(c.protocol, 3)} ${pad(mmss(c.expires), 6)} ${pad(c.state, 11)} ${pad(source, 18)} ${pad(virtual, 18)} ${dest}\n`;
}

export function formatConns(conns: readonly ConnView[], persistentConn: boolean, namer: Namer): string {
  return connHeader(persistentConn) + conns.map((c) => connLine(c, namer)).join('');
}
