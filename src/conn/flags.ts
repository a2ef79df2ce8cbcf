// Connection flags, as ConnTable keeps them (flagsOf, u16). The values are tsvs's own;
// each one names the IPVS flag (include/uapi/linux/ip_vs.h) whose behaviour it carries.
// They live in their own file so that dests.ts and table.ts can share them; table.ts
// re-exports them.

/** IP_VS_CONN_F_MASQ: masquerading; also hashed by the real-server-side tuple for replies. */
export const CONN_F_NAT = 0x1;
/** IP_VS_CONN_F_TEMPLATE: persistence template; counted in PersistConn, never matched by lookup. */
export const CONN_F_TEMPLATE = 0x2;
/** IP_VS_CONN_F_INACTIVE: counted in InActConn. IPVS sets it on every new conn
 *  (dest->conn_flags always carries it), so ConnTable.add sets it on non-templates. */
export const CONN_F_INACTIVE = 0x4;
/** IP_VS_CONN_F_NOOUTPUT: DR/tunnel, no output packet seen yet (INPUT_ONLY state table). */
export const CONN_F_NOOUTPUT = 0x8;
/** IP_VS_CONN_F_ONE_PACKET: UDP one-packet scheduling; never hashed, expires after its packet. */
export const CONN_F_ONE_PACKET = 0x10;
/** IP_VS_CONN_F_SYNC: created from a sync message. As in ip_vs_bind_dest, the activity
 *  flag (INACTIVE) is then taken as given instead of being forced on. */
export const CONN_F_SYNC = 0x20;
/** IP_VS_CONN_F_HASHED (same value, 0x0040): set by the table while the entry can be found
 *  by lookup/lookupTemplate. Cleared when a template is invalidated; ignored in add(). */
export const CONN_F_HASHED = 0x40;
/** An application helper is bound (cp->app, ip_vs_bind_app): a NAT connection of an FTP port's
 *  service, whose segments the engine hands to engine/ftp/helper.ts. */
export const CONN_F_APP = 0x80;
/** tsvs's (IPVS: IP_VS_CONN_F_SEQ_MASK's role): the server's sequence numbers are translated (engine/seq-adjust.ts), for the SYN proxy. */
export const CONN_F_SEQ_ADJUST = 0x100;
