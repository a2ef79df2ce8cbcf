// The kernel's connection flags and states as a sync message carries them, the
// rules of which flags travel and which a backup keeps, and the mapping to and
// from tsvs's own connection flags (src/conn/flags.ts).
//
// Flags: tsvs numbers its flags its own way (CONN_F_NAT is 0x1, the kernel's
// IP_VS_CONN_F_MASQ is forwarding method 0), so they are mapped bit by bit.
// Only SYNC (0x20) and HASHED (0x40) have the kernel's values.
//
// States: tsvs's TCP_S_* (src/conn/tcp-states.ts) are the kernel's
// IP_VS_TCP_S_* (include/net/ip_vs.h) number for number, UDP_S_NORMAL is
// IP_VS_UDP_S_NORMAL (0) and template states are IP_VS_CTPL_S_NONE/ASSURED
// (0/1), so states go on the wire unchanged; the tests check the equality.
import {
  CONN_F_HASHED, CONN_F_INACTIVE, CONN_F_NAT, CONN_F_NOOUTPUT, CONN_F_ONE_PACKET, CONN_F_SYNC, CONN_F_TEMPLATE,
} from '../conn/flags.js';
import { TCP_S_LAST } from '../conn/tcp-states.js';

// include/uapi/linux/ip_vs.h
export const IP_VS_CONN_F_FWD_MASK = 0x0007;
export const IP_VS_CONN_F_MASQ = 0x0000;
export const IP_VS_CONN_F_LOCALNODE = 0x0001;
export const IP_VS_CONN_F_TUNNEL = 0x0002;
export const IP_VS_CONN_F_DROUTE = 0x0003;
export const IP_VS_CONN_F_BYPASS = 0x0004;
export const IP_VS_CONN_F_SYNC = 0x0020;
export const IP_VS_CONN_F_HASHED = 0x0040;
export const IP_VS_CONN_F_NOOUTPUT = 0x0080;
export const IP_VS_CONN_F_INACTIVE = 0x0100;
export const IP_VS_CONN_F_OUT_SEQ = 0x0200;
export const IP_VS_CONN_F_IN_SEQ = 0x0400;
export const IP_VS_CONN_F_SEQ_MASK = 0x0600;
export const IP_VS_CONN_F_NO_CPORT = 0x0800;
export const IP_VS_CONN_F_TEMPLATE = 0x1000;
export const IP_VS_CONN_F_ONE_PACKET = 0x2000;
/** "Flags that are not sent to backup server start from bit 16" (v1 sends them; the backup masks them off). */
export const IP_VS_CONN_F_NFCT = 1 << 16;
/** "Initial bits allowed in backup server": what a v1 backup keeps of a new conn's flags. */
export const IP_VS_CONN_F_BACKUP_MASK = IP_VS_CONN_F_FWD_MASK | IP_VS_CONN_F_NOOUTPUT | IP_VS_CONN_F_INACTIVE
  | IP_VS_CONN_F_SEQ_MASK | IP_VS_CONN_F_NO_CPORT | IP_VS_CONN_F_TEMPLATE;
/** "Bits allowed to update in backup server": what a message changes on a conn the backup has. */
export const IP_VS_CONN_F_BACKUP_UPD_MASK = IP_VS_CONN_F_INACTIVE | IP_VS_CONN_F_SEQ_MASK;

/** IP_VS_UDP_S_LAST and IP_VS_CTPL_S_LAST: the number of UDP and template states. */
export const IP_VS_UDP_S_LAST = 1;
export const IP_VS_CTPL_S_LAST = 2;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/** The wire flags a master sends for cp->flags: "cp->flags & ~IP_VS_CONN_F_HASHED", htonl in v1, htons in v0. */
export function kernelTxFlags(flags: number, version: 0 | 1): number {
  const f = (flags & ~IP_VS_CONN_F_HASHED) >>> 0;
  return version === 1 ? f : f & 0xffff;
}

/**
 * The flags a kernel backup gives a conn it creates from a message. v1
 * (ip_vs_proc_sync_conn): "ntohl(s->v4.flags) & IP_VS_CONN_F_BACKUP_MASK", plus
 * SYNC. v0 (ip_vs_process_message_v0) keeps every bit but HASHED, plus SYNC.
 */
export function kernelRxFlags(wire: number, version: 0 | 1): number {
  if (version === 1) return ((wire & IP_VS_CONN_F_BACKUP_MASK) | IP_VS_CONN_F_SYNC) >>> 0;
  return ((wire | IP_VS_CONN_F_SYNC) & ~IP_VS_CONN_F_HASHED & 0xffff) >>> 0;
}

/** ip_vs_proc_conn on a conn the backup already has: only INACTIVE and the SEQ bits change. */
export function kernelRxUpdateFlags(current: number, received: number): number {
  return ((received & IP_VS_CONN_F_BACKUP_UPD_MASK) | (current & ~IP_VS_CONN_F_BACKUP_UPD_MASK)) >>> 0;
}

/**
 * Whether a backup takes the state: the kernel drops a non-template conn whose
 * protocol it does not handle or whose state is past the protocol's last; a
 * template's state is only logged. tsvs handles TCP and UDP (no SCTP, AH, ESP).
 */
export function kernelStateValid(protocol: number, state: number, kernelFlags: number): boolean {
  if ((kernelFlags & IP_VS_CONN_F_TEMPLATE) !== 0) return true;
  if (protocol === IPPROTO_TCP) return state < TCP_S_LAST;
  return protocol === IPPROTO_UDP && state < IP_VS_UDP_S_LAST;
}

/** [tsvs bit, kernel bit]: the flags both have, one for one. */
const SAME_MEANING: readonly (readonly [number, number])[] = [
  [CONN_F_TEMPLATE, IP_VS_CONN_F_TEMPLATE],
  [CONN_F_INACTIVE, IP_VS_CONN_F_INACTIVE],
  [CONN_F_NOOUTPUT, IP_VS_CONN_F_NOOUTPUT],
  [CONN_F_ONE_PACKET, IP_VS_CONN_F_ONE_PACKET],
  [CONN_F_SYNC, IP_VS_CONN_F_SYNC],
  [CONN_F_HASHED, IP_VS_CONN_F_HASHED],
];

/**
 * Kernel flags of a tsvs conn. tsvs forwards by NAT (IP_VS_CONN_F_MASQ) or
 * direct routing (IP_VS_CONN_F_DROUTE). It does no sequence adjustment of its
 * own, so the SEQ bits come from the sync record's seq data (SyncWriter sets them).
 */
export function kernelFlagsFromTsvs(tsvs: number): number {
  let k = (tsvs & CONN_F_NAT) !== 0 ? IP_VS_CONN_F_MASQ : IP_VS_CONN_F_DROUTE;
  for (const [t, kb] of SAME_MEANING) if ((tsvs & t) !== 0) k |= kb;
  return k;
}

/**
 * tsvs flags of kernel flags. Forwarding method MASQ is NAT; any other (DR, and
 * tunnel, local node, bypass, which tsvs does not do) is not. The method
 * matters little: a synced conn takes its method from the real server it binds
 * to (ip_vs_bind_dest: "connections inherit forwarding method from dest").
 * NO_CPORT, the SEQ bits and NFCT have no tsvs counterpart and are dropped.
 */
export function tsvsFlagsFromKernel(kernel: number): number {
  let t = (kernel & IP_VS_CONN_F_FWD_MASK) === IP_VS_CONN_F_MASQ ? CONN_F_NAT : 0;
  for (const [tb, k] of SAME_MEANING) if ((kernel & k) !== 0) t |= tb;
  return t;
}
