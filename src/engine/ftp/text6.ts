// The FTP control-channel text of an IPv6 control connection (RFC 2428), read as
// text.ts reads IPv4's: at the start of a segment, ending within it, in place.
// Over IPv6 only the extended commands carry data connections: PORT and PASV's
// 227 cannot hold an IPv6 address, so EPRT with address family 2 and EPSV (bare
// or "EPSV 2") are what is looked for; the 229 reply is read by text.ts's
// ftpReply, which has no address in it.
import { FTP_EPRT, FTP_EPSV, FTP_NONE, type FtpMatch } from './text.js';

const CR = 13, SP = 32, COLON = 58, DOT = 46;

/** Value of a hex digit, -1 for any other byte. */
function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  c |= 0x20;
  return c >= 97 && c <= 102 ? c - 87 : -1;
}

function upper(c: number): number {
  return c >= 97 && c <= 122 ? c - 32 : c;
}

/**
 * A client command of an IPv6 control connection in buf[start, end): FTP_EPSV for
 * "EPSV" or "EPSV 2" anywhere in the segment, FTP_EPRT for "EPRT |2|addr|port|"
 * at its start (address in m.addr6, port in m.port), else FTP_NONE.
 */
export function ftpCommand6(buf: Uint8Array, start: number, end: number, m: FtpMatch): number {
  for (let p = start; p + 5 <= end; p++) {
    if (upper(buf[p]) !== 69 || upper(buf[p + 1]) !== 80 || upper(buf[p + 2]) !== 83 || upper(buf[p + 3]) !== 86) continue;
    const c = buf[p + 4];
    if (c === CR) return FTP_EPSV;
    if (c === SP && p + 7 <= end && buf[p + 5] === 50 && buf[p + 6] === CR) return FTP_EPSV;
  }
  if (end - start < 5 || upper(buf[start]) !== 69 || upper(buf[start + 1]) !== 80 || upper(buf[start + 2]) !== 82 ||
    upper(buf[start + 3]) !== 84 || buf[start + 4] !== SP) return FTP_NONE;
  return eprt6(buf, start + 5, end, m) ? FTP_EPRT : FTP_NONE;
}

/** "<d>2<d>addr<d>port<d>" after spaces; the delimiter <d> is 33..126 as in text.ts. */
function eprt6(buf: Uint8Array, at: number, end: number, m: FtpMatch): boolean {
  let s = at;
  while (s < end && buf[s] === SP) s++;
  if (s + 3 > end) return false;
  const d = buf[s];
  if (d < 33 || d > 126 || buf[s + 1] !== 50 || buf[s + 2] !== d) return false;
  let p = addr6Text(buf, s + 3, end, m.addr6);
  if (p < 0 || p >= end || buf[p] !== d) return false;
  p++;
  let port = 0, digits = 0;
  for (; p < end && buf[p] >= 48 && buf[p] <= 57; p++) {
    port = port * 10 + buf[p] - 48;
    if (++digits > 5) return false;
  }
  if (p >= end || buf[p] !== d || digits === 0 || port === 0 || port > 65535) return false;
  m.port = port;
  m.start = s;
  m.end = p + 1;
  return true;
}

/** The 8 groups addr6Text reads (module scratch: the data plane allocates nothing). */
const groups = new Uint16Array(8);

/**
 * An IPv6 address in text (RFC 4291 section 2.2: hex groups, one "::", a trailing
 * dotted IPv4 part) at buf[p..], into out[0..3] as big-endian words. Returns the
 * offset after it, or -1 when it is not one. Zone ids ("%eth0") are not addresses here.
 */
export function addr6Text(buf: Uint8Array, p: number, end: number, out: Int32Array): number {
  const g = groups;
  let n = 0, gap = -1;
  if (p + 1 < end && buf[p] === COLON) {
    if (buf[p + 1] !== COLON) return -1;
    gap = 0;
    p += 2;
  }
  while (p < end && n < 8) {
    const s = p;
    let v = 0, digits = 0;
    for (let h = hex(buf[p]); h >= 0 && digits < 5; h = p < end ? hex(buf[p]) : -1) {
      v = v * 16 + h;
      digits++;
      p++;
    }
    if (digits === 0) break;
    if (p < end && buf[p] === DOT) {
      // The last 32 bits as a dotted IPv4 address: read again from the group's start.
      if (n > 6) return -1;
      p = dotted(buf, s, end, g, n);
      if (p < 0) return -1;
      n += 2;
      break;
    }
    if (digits > 4) return -1;
    g[n++] = v;
    if (p < end && buf[p] === COLON) {
      if (p + 1 < end && buf[p + 1] === COLON) {
        if (gap >= 0) return -1;
        gap = n;
        p += 2;
        continue;
      }
      p++;
      if (p >= end || hex(buf[p]) < 0) return -1;
      continue;
    }
    break;
  }
  if (gap < 0 ? n !== 8 : n > 7) return -1;
  const tail = gap < 0 ? 0 : n - gap;
  const head = n - tail;
  for (let k = 0; k < 4; k++) out[k] = 0;
  for (let k = 0; k < 8; k++) {
    const v = k < head ? g[k] : k >= 8 - tail ? g[k - (8 - n)] : 0;
    out[k >>> 1] |= (k & 1) === 0 ? v << 16 : v;
  }
  return p;
}

/** "a.b.c.d" at buf[p..] into g[n], g[n + 1]; the offset after it or -1. */
function dotted(buf: Uint8Array, p: number, end: number, g: Uint16Array, n: number): number {
  let v = 0, digits = 0, parts = 0, hi = 0;
  for (; p < end; p++) {
    const c = buf[p];
    if (c >= 48 && c <= 57) {
      v = v * 10 + c - 48;
      if (v > 255 || ++digits > 3) return -1;
    } else if (c === DOT && parts < 3 && digits > 0) {
      hi = hi * 256 + v;
      parts++;
      v = 0;
      digits = 0;
    } else break;
  }
  if (parts !== 3 || digits === 0) return -1;
  const a = hi * 256 + v;
  g[n] = a >>> 16;
  g[n + 1] = a & 0xffff;
  return p;
}
