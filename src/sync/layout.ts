// The IPVS connection-sync protocol's byte layout, versions 0 and 1, as the Linux
// kernel lays it out (net/netfilter/ipvs/ip_vs_sync.c), and the record a sync
// message carries for each connection. Offsets are from the start of the
// message (headers) or of the connection entry (conns). Every multi-byte field
// is big-endian except the v0 sequence block (see V0_SEQ_LITTLE_ENDIAN).

/** IP_VS_SYNC_GROUP 224.0.0.81 and IP_VS_SYNC_PORT: the kernel's defaults. */
export const SYNC_GROUP = 0xe0000051;
export const SYNC_PORT = 8848;
/** SYNC_PROTO_VER: the version byte of a v1 header. */
export const SYNC_PROTO_VER = 1;

// struct ip_vs_sync_mesg_v0 { u8 nr_conns; u8 syncid; be16 size; }
export const V0_HDR_NR_CONNS = 0;
export const V0_HDR_SIZE = 4;

// struct ip_vs_sync_mesg { u8 reserved (0); u8 syncid; be16 size; u8 nr_conns;
//                          s8 version (1); u16 spare (0); }
export const HDR_SYNCID = 1;
export const HDR_SIZE = 2;
export const V1_HDR_NR_CONNS = 4;
export const V1_HDR_VERSION = 5;
export const V1_HDR_SPARE = 6;
export const V1_HDR_SIZE = 8;

// struct ip_vs_sync_conn_v0: 24 bytes, then struct ip_vs_sync_conn_options (24
// bytes) when the flags carry IP_VS_CONN_F_SEQ_MASK.
export const V0_PROTOCOL = 1;
export const V0_CPORT = 2;
export const V0_VPORT = 4;
export const V0_DPORT = 6;
export const V0_CADDR = 8;
export const V0_VADDR = 12;
export const V0_DADDR = 16;
export const V0_FLAGS = 20;
export const V0_STATE = 22;
export const V0_CONN_SIZE = 24;
export const V0_FULL_CONN_SIZE = 48;
/**
 * The v0 sender memcpy()s cp->in_seq/out_seq (struct ip_vs_seq, host-order
 * __u32s) into the message and the v0 receiver memcpy()s them back, so the v0
 * sequence block is in the master's byte order: little-endian on x86 and arm64,
 * the kernels that run IPVS in practice. Version 1 fixed this ("In ver.1
 * ip_vs_sync_conn_options will be sent in netw. order").
 */
export const V0_SEQ_LITTLE_ENDIAN = true;

// struct ip_vs_sync_v4 (type 0): 36 bytes; struct ip_vs_sync_v6 (type bit 0):
// the same with 16-byte addresses, 72 bytes. Options (TLVs) follow the addresses.
export const V1_TYPE = 0;
export const V1_PROTOCOL = 1;
export const V1_VER_SIZE = 2;
export const V1_FLAGS = 4;
export const V1_STATE = 8;
export const V1_CPORT = 10;
export const V1_VPORT = 12;
export const V1_DPORT = 14;
export const V1_FWMARK = 16;
export const V1_TIMEOUT = 20;
export const V1_CADDR = 24;
export const V1_VADDR = 28;
export const V1_DADDR = 32;
export const V1_V4_SIZE = 36;
// struct ip_vs_sync_v6: the same fields to the timeout, then caddr, vaddr, daddr as struct in6_addr.
export const V1_V6_CADDR = 24;
export const V1_V6_VADDR = 40;
export const V1_V6_DADDR = 56;
export const V1_V6_SIZE = 72;
/** STYPE_F_INET6: the only type bit. The kernel reads any type with it as IPv6; another non-zero type is invalid. */
export const STYPE_F_INET6 = 1;
/** ver_size: "Version msb 4 bits" (SVER_SHIFT 12), size of the entry in the low 12 (SVER_MASK). */
export const SVER_SHIFT = 12;
export const SVER_MASK = 0x0fff;

/** Option types; IPVS_OPT_F_PARAM (bit 6) marks an option a receiver may ignore. */
export const IPVS_OPT_SEQ_DATA = 1;
export const IPVS_OPT_PE_DATA = 2;
export const IPVS_OPT_PE_NAME = 3;
export const IPVS_OPT_F_PARAM = 1 << (7 - 1);
/** The SEQ_DATA option's value: in_seq then out_seq, each {init_seq, delta, previous_delta}. */
export const SEQ_DATA_LEN = 24;
/** IP_VS_PEDATA_MAXLEN and IP_VS_PENAME_MAXLEN. */
export const PE_DATA_MAXLEN = 255;
export const PE_NAME_MAXLEN = 16;
/** The longest IPv4 v1 entry: conn, SEQ option, PE data and PE name options. */
export const V1_MAX_V4_CONN = V1_V4_SIZE + 2 + SEQ_DATA_LEN + 2 + PE_DATA_MAXLEN + 2 + PE_NAME_MAXLEN;
/** The longest IPv6 v1 entry, the longest entry of all: what a message buffer must hold besides its header. */
export const V1_MAX_V6_CONN = V1_V6_SIZE + 2 + SEQ_DATA_LEN + 2 + PE_DATA_MAXLEN + 2 + PE_NAME_MAXLEN;
/** Words of SyncConn.addr6: client 0..3, virtual 4..7, dest 8..11 (ConnTable.addr6's per-slot layout). */
export const SYNC_A6 = 12;
/** nr_conns is a byte. */
export const MAX_NR_CONNS = 255;

/** struct ip_vs_seq: where NAT starts adding delta to TCP sequence numbers. */
export interface SyncSeq {
  /** u32. */
  initSeq: number;
  /** s32 (the kernel's __s32 since 5.x; the same bits on the wire). */
  delta: number;
  /** s32: the delta before the last resized packet. */
  previousDelta: number;
}

/**
 * One connection of a sync message. IPv4 addresses are uint32 numbers
 * (model/addr); an IPv6 conn (v1 type bit 0) has its addresses in addr6, and
 * caddr, vaddr, daddr then hold their XOR folds (ConnTable's row keys).
 */
export interface SyncConn {
  /** IPPROTO_TCP 6 or IPPROTO_UDP 17; templates of fwmark services carry IPPROTO_IP 0. */
  protocol: number;
  /**
   * IPv6 only: the three addresses as SYNC_A6 big-endian words (signed, as
   * Int32Array holds them), client 0..3, virtual 4..7, dest 8..11; undefined for
   * IPv4. Readers reuse one array (copy what you keep).
   */
  addr6?: Int32Array;
  caddr: number;
  cport: number;
  vaddr: number;
  vport: number;
  daddr: number;
  dport: number;
  /** Kernel IP_VS_CONN_F_* bits as on the wire (see kernel-flags.ts for tsvs's own). */
  flags: number;
  /** Kernel state number: IP_VS_TCP_S_*, IP_VS_UDP_S_NORMAL, IP_VS_CTPL_S_* for templates. */
  state: number;
  /** Firewall mark of the service; always 0 in v0. */
  fwmark: number;
  /** Seconds; v1 only. 0 (all of v0) tells the backup to use the state's own timeout. */
  timeout: number;
  inSeq?: SyncSeq;
  outSeq?: SyncSeq;
  /** Persistence-engine data and name (e.g. "sip"), as bytes. */
  peData?: Uint8Array;
  peName?: Uint8Array;
}

/** The kernel's sync_maxlen with no --sync-maxlen: a 1500-byte MTU less the IPv4 and UDP headers. */
export const SYNC_MAXLEN_DEFAULT = 1500 - 20 - 8;

/**
 * start_sync_thread()'s sync_maxlen: the master assumes a 1500-byte MTU whatever
 * the interface says; the backup takes the interface MTU, at least 1500, so that
 * it can read what any master sends. An explicit --sync-maxlen is clamped to
 * [1 (master) or 1024 (backup), 65535 - headers]. IPv4 multicast only here.
 */
export function syncMaxlen(role: 'master' | 'backup', devMtu = 1500, configured = 0): number {
  const hlen = 20 + 8;
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  if (configured > 0) return clamp(configured, role === 'backup' ? 1024 : 1, 65535 - hlen);
  return (role === 'backup' ? clamp(devMtu, 1500, 65535) : 1500) - hlen;
}
