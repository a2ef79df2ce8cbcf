// Which connections `tsvs top` lists. A ConnView has no packet or byte
// counts, but it has the time left on its timer, and IPVS re-arms that timer
// on every packet (__ip_vs_conn_put_timer: mod_timer(&cp->timer, jiffies +
// cp->timeout)). So the state's timeout minus `expires` is how long the
// connection has been idle, and the busiest are taken to be the most recently
// active: established TCP and UDP entries (handshakes, closing states and
// persistence templates are not traffic), least idle first.
import type { ConnView, TimeoutsView } from '../../control/types.js';
import { parseIPv4 } from '../../model/index.js';

export interface ActiveConn {
  conn: ConnView;
  /** Seconds since its last packet. */
  idle: number;
}

/** The timeout the state re-arms with: ipvsadm --set's tcp (ESTABLISHED) and udp. */
function timeoutOf(c: ConnView, t: TimeoutsView): number | null {
  if (c.template) return null;
  if (c.protocol === 'TCP' && c.state === 'ESTABLISHED') return t.tcp;
  if (c.protocol === 'UDP') return t.udp;
  return null;
}

/** The `limit` most recently active connections among `conns`, least idle first; ties by client. */
export function busiest(conns: readonly ConnView[], timeouts: TimeoutsView, limit: number): ActiveConn[] {
  const out: ActiveConn[] = [];
  for (const conn of conns) {
    const timeout = timeoutOf(conn, timeouts);
    // A timeout changed with ipvsadm --set applies to entries as they are re-armed; clamp the rest.
    if (timeout !== null) out.push({ conn, idle: Math.max(0, timeout - conn.expires) });
  }
  out.sort((a, b) => a.idle - b.idle || (parseIPv4(a.conn.client) ?? 0) - (parseIPv4(b.conn.client) ?? 0) || a.conn.clientPort - b.conn.clientPort);
  return out.slice(0, limit);
}
