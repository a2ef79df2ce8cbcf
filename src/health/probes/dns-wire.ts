// The little of the DNS wire format (RFC 1035 section 4) a DNS_CHECK needs: one
// query, and of the reply its header and the types of its answer records.
import type { DnsType } from '../types.js';

/** RFC 1035 3.2.2 and RFC 3596 (AAAA). */
export const DNS_TYPE_CODES: Record<DnsType, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28 };

/** RFC 1035 4.1.1 RCODE values, for the detail line. */
const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];
export const rcodeName = (rcode: number): string => RCODE_NAMES[rcode] ?? `RCODE ${rcode}`;

const HEADER = 12;
const CLASS_IN = 1;
/** RFC 1035 4.1.1: "RD Recursion Desired" is bit 8 of the flags (keepalived sets it too). */
const FLAG_RD = 0x0100;
const FLAG_QR = 0x8000;

/**
 * A standard query for `name` (dotted; a trailing dot and the root "." allowed)
 * of `type`, class IN, recursion desired. Throws on a name DNS cannot carry.
 */
export function encodeQuery(id: number, name: string, type: DnsType): Buffer {
  const labels = name === '.' || name === '' ? [] : name.replace(/\.$/, '').split('.');
  const parts = labels.map((l) => Buffer.from(l, 'ascii'));
  for (const p of parts) if (p.length === 0 || p.length > 63) throw new Error(`bad DNS name "${name}": labels are 1 to 63 bytes`);
  const qname = parts.reduce((n, p) => n + 1 + p.length, 1);
  if (qname > 255) throw new Error(`bad DNS name "${name}": over 255 bytes`);
  const buf = Buffer.alloc(HEADER + qname + 4);
  buf.writeUInt16BE(id & 0xffff, 0);
  buf.writeUInt16BE(FLAG_RD, 2);
  buf.writeUInt16BE(1, 4); // QDCOUNT
  let off = HEADER;
  for (const p of parts) {
    buf[off++] = p.length;
    off += p.copy(buf, off);
  }
  buf[off++] = 0;
  buf.writeUInt16BE(DNS_TYPE_CODES[type], off);
  buf.writeUInt16BE(CLASS_IN, off + 2);
  return buf;
}

export interface DnsReply {
  id: number;
  /** QR: this is a response. */
  response: boolean;
  rcode: number;
  /** ANCOUNT as the header says. */
  answers: number;
  /** The answer records' types, as far as the message could be read. */
  answerTypes: number[];
}

/** The header and answer types of a reply; null when it is shorter than a header. */
export function decodeReply(msg: Uint8Array): DnsReply | null {
  if (msg.length < HEADER) return null;
  const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const flags = v.getUint16(2);
  const reply: DnsReply = { id: v.getUint16(0), response: (flags & FLAG_QR) !== 0, rcode: flags & 0x0f, answers: v.getUint16(6), answerTypes: [] };
  let off = HEADER;
  for (let q = v.getUint16(4); q > 0 && off >= 0; q--) {
    const end = skipName(msg, off);
    off = end < 0 ? -1 : end + 4; // QTYPE, QCLASS
  }
  for (let n = 0; n < reply.answers && off >= 0 && off + 10 <= msg.length; n++) {
    off = skipName(msg, off);
    if (off < 0 || off + 10 > msg.length) break;
    reply.answerTypes.push(v.getUint16(off));
    off += 10 + v.getUint16(off + 8); // TYPE, CLASS, TTL, RDLENGTH, RDATA
  }
  return reply;
}

/** Offset after a (possibly compressed, RFC 1035 4.1.4) name at `off`; -1 when it runs off the message. */
function skipName(msg: Uint8Array, off: number): number {
  while (off < msg.length) {
    const len = msg[off];
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) return off + 2 <= msg.length ? off + 2 : -1;
    off += 1 + len;
  }
  return -1;
}
