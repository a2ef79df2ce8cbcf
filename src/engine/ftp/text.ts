// The FTP control-channel text the helper reads (RFC 959, RFC 2428), as IPVS's
// ip_vs_ftp.c reads it: a command or reply is recognised only at the start of a
// TCP segment's payload and only when it ends ("\r") within that segment. Text
// split across two segments is not recognised (ip_vs_ftp_get_addrport returns -1
// at data_limit), so the data connection is then not prepared, as with IPVS.
// Everything reads bytes of the frame in place into one reused record: no strings.

/** What ftpCommand/ftpReply found. */
export const FTP_NONE = 0;
/** "PASV\r\n" anywhere in the client's segment: the next 227 reply is looked at. */
export const FTP_PASV = 1;
/** "EPSV\r" or "EPSV 1\r" (RFC 2428): the next 229 reply is looked at. */
export const FTP_EPSV = 2;
/** "PORT h1,h2,h3,h4,p1,p2" from the client (active mode). */
export const FTP_PORT = 3;
/** "EPRT |1|a.b.c.d|port|" from the client (RFC 2428 active mode, IPv4). */
export const FTP_EPRT = 4;
/** "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)" from the server. */
export const FTP_227 = 5;
/** "229 Entering Extended Passive Mode (|||port|)" from the server. */
export const FTP_229 = 6;

/** The address and port a command or reply names, and where its text is (start inclusive, end exclusive). */
export class FtpMatch {
  addr = 0;
  /** An IPv6 address (EPRT |2|): 4 big-endian words (text6.ts). */
  readonly addr6 = new Int32Array(4);
  port = 0;
  start = 0;
  end = 0;
}

const CR = 13, LF = 10, SP = 32, COMMA = 44, LPAREN = 40, DOT = 46;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Case-insensitive compare of buf[at..] with an upper-case ASCII word given as char codes. */
function startsWith(buf: Uint8Array, at: number, end: number, word: readonly number[]): boolean {
  if (end - at < word.length) return false;
  for (let k = 0; k < word.length; k++) {
    let c = buf[at + k];
    if (c >= 97 && c <= 122) c -= 32;
    if (c !== word[k]) return false;
  }
  return true;
}

const W_PASV = [80, 65, 83, 86, CR, LF];
const W_EPSV = [69, 80, 83, 86];
const W_PORT = [80, 79, 82, 84, SP];
const W_EPRT = [69, 80, 82, 84, SP];
const W_227 = [50, 50, 55, SP];
const W_229 = [50, 50, 57, SP];

/**
 * A client command in buf[start, end) (the TCP payload). As ip_vs_ftp_in: PASV
 * and EPSV anywhere in the segment, PORT and EPRT at its start only.
 */
export function ftpCommand(buf: Uint8Array, start: number, end: number, m: FtpMatch): number {
  for (let p = start; p + 6 <= end; p++) {
    if (startsWith(buf, p, end, W_PASV)) return FTP_PASV;
    // "EPSV<CR>" or "EPSV 1<CR>"; "EPSV 2" asks for IPv6 and "EPSV ALL" changes nothing here.
    if (startsWith(buf, p, end, W_EPSV)) {
      const c = buf[p + 4];
      if (c === CR) return FTP_EPSV;
      if (c === SP && p + 7 <= end && buf[p + 5] === 49 && buf[p + 6] === CR) return FTP_EPSV;
    }
  }
  if (startsWith(buf, start, end, W_PORT)) return hostPort(buf, start + 5, end, false, m) ? FTP_PORT : FTP_NONE;
  if (startsWith(buf, start, end, W_EPRT)) return extended(buf, start + 5, end, true, m) ? FTP_EPRT : FTP_NONE;
  return FTP_NONE;
}

/** A server reply at the start of buf[start, end): 227 after PASV, 229 after EPSV (`expect`), else none. */
export function ftpReply(buf: Uint8Array, start: number, end: number, expect: number, m: FtpMatch): number {
  if (expect === FTP_PASV && startsWith(buf, start, end, W_227)) return hostPort(buf, start + 4, end, true, m) ? FTP_227 : FTP_NONE;
  if (expect === FTP_EPSV && startsWith(buf, start, end, W_229)) return extended(buf, start + 4, end, false, m) ? FTP_229 : FTP_NONE;
  return FTP_NONE;
}

/**
 * "h1,h2,h3,h4,p1,p2" after spaces (PORT) or after the first "(" or digit (227's
 * "(" is optional, as ip_vs_ftp_get_addrport's skip allows), followed by a
 * non-digit that must come before the segment ends. Numbers over 255 are refused.
 */
function hostPort(buf: Uint8Array, at: number, end: number, reply: boolean, m: FtpMatch): boolean {
  let s = at;
  if (reply) {
    while (s < end && !isDigit(buf[s]) && buf[s] !== LPAREN) s++;
    while (s < end && buf[s] === LPAREN) s++;
  } else {
    while (s < end && buf[s] === SP) s++;
  }
  let i = 0, v = 0, addr = 0, port = 0, digits = 0;
  let p = s;
  for (; p < end; p++) {
    const c = buf[p];
    if (isDigit(c)) {
      v = v * 10 + c - 48;
      if (v > 255 || ++digits > 3) return false;
    } else if (c === COMMA && i < 5 && digits > 0) {
      if (i < 4) addr = addr * 256 + v;
      else port = v * 256;
      i++;
      v = 0;
      digits = 0;
    } else break;
  }
  // The text must end within the segment (else it is split: not handled).
  if (p === end || i !== 5 || digits === 0) return false;
  m.addr = addr >>> 0;
  m.port = port + v;
  m.start = s;
  m.end = p;
  return true;
}

/**
 * RFC 2428: "EPRT |1|132.235.1.2|6275|" (client, IPv4 only) or the 229 reply's
 * "(|||6446|)". The delimiter is the first character (33..126, as IPVS checks).
 */
function extended(buf: Uint8Array, at: number, end: number, eprt: boolean, m: FtpMatch): boolean {
  let s = at;
  if (eprt) {
    while (s < end && buf[s] === SP) s++;
  } else {
    while (s < end && buf[s] !== LPAREN) s++;
    s++;
  }
  if (s >= end) return false;
  const d = buf[s];
  if (d < 33 || d > 126) return false;
  let p = s + 1;
  let addr = 0;
  if (eprt) {
    if (p + 2 > end || buf[p] !== 49 || buf[p + 1] !== d) return false;
    p += 2;
    let parts = 0, v = 0, digits = 0;
    for (; p < end; p++) {
      const c = buf[p];
      if (isDigit(c)) {
        v = v * 10 + c - 48;
        if (v > 255 || ++digits > 3) return false;
      } else if (c === DOT && parts < 3 && digits > 0) {
        addr = addr * 256 + v;
        parts++;
        v = 0;
        digits = 0;
      } else break;
    }
    if (p >= end || buf[p] !== d || parts !== 3 || digits === 0) return false;
    addr = addr * 256 + v;
  } else {
    // "|||port|": no protocol, no address.
    if (p + 2 > end || buf[p] !== d || buf[p + 1] !== d) return false;
    p += 1;
  }
  // Past the delimiter before the port.
  p++;
  let port = 0, digits = 0;
  for (; p < end && isDigit(buf[p]); p++) {
    port = port * 10 + buf[p] - 48;
    if (++digits > 5) return false;
  }
  if (p >= end || buf[p] !== d || digits === 0 || port === 0 || port > 65535) return false;
  m.addr = addr >>> 0;
  m.port = port;
  m.start = s;
  m.end = p + 1;
  return true;
}

/** Length of "h1,h2,h3,h4,p1,p2" for an address and port: what a 227 rewrite writes. */
export function hostPortLength(addr: number, port: number): number {
  return decLen(addr >>> 24) + decLen((addr >>> 16) & 0xff) + decLen((addr >>> 8) & 0xff) + decLen(addr & 0xff) +
    decLen(port >>> 8) + decLen(port & 0xff) + 5;
}

/** Writes "h1,h2,h3,h4,p1,p2" at buf[at]; returns the offset after it. */
export function writeHostPort(buf: Uint8Array, at: number, addr: number, port: number): number {
  at = writeDec(buf, at, addr >>> 24);
  buf[at++] = COMMA;
  at = writeDec(buf, at, (addr >>> 16) & 0xff);
  buf[at++] = COMMA;
  at = writeDec(buf, at, (addr >>> 8) & 0xff);
  buf[at++] = COMMA;
  at = writeDec(buf, at, addr & 0xff);
  buf[at++] = COMMA;
  at = writeDec(buf, at, port >>> 8);
  buf[at++] = COMMA;
  return writeDec(buf, at, port & 0xff);
}

function decLen(v: number): number {
  return v >= 100 ? 3 : v >= 10 ? 2 : 1;
}

function writeDec(buf: Uint8Array, at: number, v: number): number {
  if (v >= 100) buf[at++] = 48 + Math.floor(v / 100);
  if (v >= 10) buf[at++] = 48 + (Math.floor(v / 10) % 10);
  buf[at++] = 48 + (v % 10);
  return at;
}
