// The backup side of connection sync: one connection of a sync message into the
// engine's table, as a kernel backup takes it (ip_vs_proc_conn, ip_vs_sync.c).
// A conn the table has is updated (activity, state, timeout); a new one is bound
// to the real server of the running table that the message names, so that when
// this router takes over, the flow's next packet finds its conn and goes to the
// same server.
import { A6, CONN_F_APP, CONN_F_INACTIVE, CONN_F_NAT, CONN_F_NOOUTPUT, CONN_F_SEQ_ADJUST, CONN_F_SYNC, CONN_F_TEMPLATE, type ConnTable } from '../conn/table.js';
import { kernelRxFlags, tsvsFlagsFromKernel } from '../sync/kernel-flags.js';
import type { SyncConn } from '../sync/layout.js';
import type { Engine } from './engine.js';
import { FWD_NAT } from './services.js';

const IPPROTO_TCP = 6;
/** ip_vs_proc_conn: a template, or a conn of a protocol with no timeout table, "cp->timeout = (3*60*HZ)". */
const DEFAULT_SYNC_TIMEOUT_MS = 3 * 60 * 1000;

/** What the backup did with each conn; one counter per outcome. */
export interface SyncImportStats {
  created: number;
  updated: number;
  /** No virtual service of the conn's protocol, address and port (or firewall mark). */
  noService: number;
  /** The service has no real server of the conn's address and port in its list. */
  noServer: number;
  /** The connection table is full. */
  tableFull: number;
  /** An inactive conn for a tuple now bound elsewhere: the old one's last message, ignored. */
  stale: number;
}

/** What importSyncConn did: the conn is in the table (created or updated), or why not. */
export const IMPORTED = 0;
/** The service is there but not (yet) the server: a partner's conn to a server this router's checks have not admitted. */
export const IMPORT_NO_SERVER = 1;
/** No such service, a full table, or a stale message: nothing to wait for. */
export const IMPORT_SKIPPED = 2;

export function newSyncImportStats(): SyncImportStats {
  return { created: 0, updated: 0, noService: 0, noServer: 0, tableFull: 0, stale: 0 };
}

/**
 * Takes conn `c` of a version-`version` message. The kernel creates a conn whose
 * server it cannot find unbound, forwarding by the message's method until the
 * server appears; tsvs forwards only conns bound to a real server, so it counts
 * and skips those (noService, noServer).
 */
export function importSyncConn(engine: Engine, c: SyncConn, version: 0 | 1, stats: SyncImportStats, now: number): number {
  const conns = engine.conns;
  const flags = tsvsFlagsFromKernel(kernelRxFlags(c.flags, version));
  const template = (flags & CONN_F_TEMPLATE) !== 0;
  let slot = lookup(conns, c, template);
  // "cp->dport != dport || daddr differs": the master rescheduled the tuple; an
  // inactive conn's message is the old one's last word. The kernel checks conns
  // only and leaves a template on its old server; tsvs moves the template too, so
  // the client's next conn here goes where the master now sends it.
  if (slot !== 0 && (!sameDest(conns, slot, c) || conns.dportOf(slot) !== c.dport)) {
    if ((flags & CONN_F_INACTIVE) !== 0 && !template) {
      stats.stale++;
      return IMPORT_SKIPPED;
    }
    conns.expireNow(slot);
    slot = 0;
  }
  if (slot !== 0) {
    update(conns, slot, flags);
    stats.updated++;
  } else {
    slot = create(engine, c, flags, stats, now);
  }
  if (slot <= 0) return slot === -1 ? IMPORT_NO_SERVER : IMPORT_SKIPPED;
  conns.setState(slot, c.state);
  conns.setTimeout(slot, timeoutMs(engine, c, template), now);
  if (c.outSeq !== undefined) importSeq(engine, slot, c);
  // "atomic_set(&cp->in_pkts, sync_threshold); cp->old_state = cp->state": were
  // this router master, it would not send the conn straight back.
  const q = engine.sync;
  if (q !== null) {
    q.inPkts[slot] = q.threshold;
    q.oldState[slot] = c.state;
  }
  return IMPORTED;
}

/**
 * The master's sequence offset of conn `c`: an FTP control connection's (the
 * helper's), or else a TCP connection the master's SYN proxy opened, which the
 * backup translates the same way from now on (if it has the proxy configured).
 */
function importSeq(engine: Engine, slot: number, c: SyncConn): void {
  const conns = engine.conns;
  const flags = conns.flagsOf(slot);
  // IPv6's FTP helper rewrites nothing, so keeps no offsets (ftp/helper6.ts).
  if ((flags & CONN_F_APP) !== 0) {
    if (c.addr6 === undefined) engine.ftp.importSeq(conns, slot, c.outSeq!);
  } else if (engine.synProxy !== null && c.protocol === IPPROTO_TCP && (flags & (CONN_F_NAT | CONN_F_TEMPLATE)) === CONN_F_NAT) {
    engine.synProxy.importSeq(slot, c.outSeq!);
    conns.setFlags(slot, flags | CONN_F_SEQ_ADJUST);
  }
}

/** Whether the table has conn (or template) `c` of a version-`version` message already. */
export function syncConnInTable(engine: Engine, c: SyncConn, version: 0 | 1): boolean {
  const conns = engine.conns;
  const template = (tsvsFlagsFromKernel(kernelRxFlags(c.flags, version)) & CONN_F_TEMPLATE) !== 0;
  return lookup(conns, c, template) !== 0;
}

/**
 * The table's conn (or template) of `c`. An IPv6 conn's addr6 holds the client
 * at 0..3 and the VIP at 4..7, as lookupIn6's packet addresses and
 * lookupTemplate6's client and VIP are laid out.
 */
function lookup(conns: ConnTable, c: SyncConn, template: boolean): number {
  const a = c.addr6;
  if (a !== undefined) {
    if (conns.addr6.length === 0) return 0; // no IPv6 entry yet
    return template ? conns.lookupTemplate6(c.protocol, a, 0, c.vport) : conns.lookupIn6(c.protocol, a, c.cport, c.vport);
  }
  return template ? conns.lookupTemplate(c.protocol, c.caddr, c.vaddr, c.vport) : conns.lookupIn(c.protocol, c.caddr, c.cport, c.vaddr, c.vport);
}

/** Whether the conn in `slot` goes to the address `c` names (its port apart). */
function sameDest(conns: ConnTable, slot: number, c: SyncConn): boolean {
  const a = c.addr6;
  if (a === undefined) return conns.daddrOf(slot) === c.daddr >>> 0;
  const x = conns.addr6, w = slot * A6 + 8;
  return x[w] === a[8] && x[w + 1] === a[9] && x[w + 2] === a[10] && x[w + 3] === a[11];
}

/** "Bits allowed to update in backup server": the activity, with the dest's counts following it. */
function update(conns: ConnTable, slot: number, flags: number): void {
  const cur = conns.flagsOf(slot);
  if (((cur ^ flags) & CONN_F_INACTIVE) === 0) return;
  conns.setFlags(slot, (cur & ~CONN_F_INACTIVE) | (flags & CONN_F_INACTIVE));
  const d = conns.destOf(slot);
  if ((cur & CONN_F_TEMPLATE) !== 0 || d === 0) return;
  if ((flags & CONN_F_INACTIVE) !== 0) conns.dests.toInactive(d);
  else conns.dests.toActive(d);
}

/** ip_vs_find_dest + ip_vs_conn_new + ip_vs_bind_dest. Returns the slot, -1 for no such server, or 0 (counted). */
function create(engine: Engine, c: SyncConn, flags: number, stats: SyncImportStats, now: number): number {
  const rt = engine.services;
  const a = c.addr6;
  // A mark names a service in each family (byMark6 for IPv6's); a table without IPv6 entries has no IPv6 service.
  const svc = a !== undefined
    ? (engine.conns.addr6.length === 0 ? 0 : c.fwmark !== 0 ? rt.byMark6.get(c.fwmark) ?? 0 : rt.lookup6(c.protocol, a, 4, c.vport))
    : c.fwmark !== 0 ? rt.byMark.get(c.fwmark) ?? 0 : rt.lookup(c.protocol, c.vaddr | 0, c.vport);
  if (svc === 0) {
    stats.noService++;
    return 0;
  }
  const dest = a !== undefined ? rt.findDest6(svc, a, 8, c.dport) : rt.findDest(svc, c.daddr, c.dport);
  if (dest === 0) {
    stats.noServer++;
    return -1;
  }
  // "connections inherit forwarding method from dest"; templates carry none (new-conn.ts).
  let f = flags & ~(CONN_F_NAT | CONN_F_NOOUTPUT);
  if ((f & CONN_F_TEMPLATE) === 0) f |= rt.destFwd[dest] === FWD_NAT ? CONN_F_NAT : CONN_F_NOOUTPUT;
  // ip_vs_conn_new -> ip_vs_bind_app: a backup's FTP control conn gets the helper too
  // (its sequence offset comes with the message: importSeq).
  // IPv6's helper (ftp/helper6.ts) rewrites nothing, so an IPv6 control conn has no offset to import (importSeq).
  if ((f & CONN_F_NAT) !== 0 && c.fwmark === 0 && c.protocol === 6 && engine.ftp.ports[c.vport] !== 0) f |= CONN_F_APP;
  const slot = a !== undefined
    ? engine.conns.add6(c.protocol, a, 0, c.cport, a, 4, c.vport, a, 8, c.dport, dest, f | CONN_F_SYNC, 0, now)
    : engine.conns.add(c.protocol, c.caddr, c.cport, c.vaddr, c.vport, c.daddr, c.dport, dest, f | CONN_F_SYNC, 0, now);
  if (slot === 0) stats.tableFull++;
  else stats.created++;
  return slot;
}

/** v1 carries the master's timeout in seconds; v0 (0) means the state's own, as ip_vs_proc_conn. */
/** How long the backup keeps conn `c` of a version-`version` message. */
export function syncTimeoutMs(engine: Engine, c: SyncConn, version: 0 | 1): number {
  return timeoutMs(engine, c, (tsvsFlagsFromKernel(kernelRxFlags(c.flags, version)) & CONN_F_TEMPLATE) !== 0);
}

function timeoutMs(engine: Engine, c: SyncConn, template: boolean): number {
  if (c.timeout > 0) return c.timeout * 1000;
  if (template) return DEFAULT_SYNC_TIMEOUT_MS;
  return c.protocol === IPPROTO_TCP ? engine.timeouts.tcpMs[c.state] : engine.timeouts.udpMs;
}
