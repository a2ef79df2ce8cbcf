// SYN cookies, the first piece of the SYN proxy that issue 15 asks for (as DPVS's
// synproxy and Linux's tcp_syncookies): the router would answer a NAT service's
// SYN itself with a SYN-ACK whose sequence number is this cookie, keep nothing,
// and open the connection only for an ACK whose ack - 1 checks out (syn-proxy.ts).
//
// The layout is Linux's (net/ipv4/syncookies.c, secure_tcp_syn_cookie):
//   cookie = H1(tuple) + client ISN + (count << 24) + ((H2(tuple, count) + data) & 0xffffff)
// count is a minute counter, data the index of the client's MSS in MSS_TABLE. A
// check recovers count from the top byte (at most MAX_AGE minutes old) and data from
// the rest; a forged ACK passes with odds of about 3/256 * 4/2^24. H1 and H2 are
// the connection hash (murmur3 rounds) keyed with two secrets of the engine's: not
// SipHash as in Linux, so the secrets should be drawn at random per process.
import { hashTuple } from '../conn/hash.js';

/** Linux's msstab: the MSS values a cookie can carry (2 bits). */
export const MSS_TABLE: readonly number[] = [536, 1300, 1440, 1460];
/** MAX_SYNCOOKIE_AGE: a cookie from the last two minute-counts is still good. */
export const MAX_AGE = 2;
const COOKIE_BITS = 24;
const COOKIE_MASK = (1 << COOKIE_BITS) - 1;
const COUNT_MS = 60_000;
const IPPROTO_TCP = 6;

/** The index in MSS_TABLE of the largest MSS not above the client's (RFC 9293: 536 when it sent none). */
export function mssIndex(clientMss: number): number {
  let i = MSS_TABLE.length - 1;
  while (i > 0 && MSS_TABLE[i] > clientMss) i--;
  return i;
}

export class SynCookies {
  constructor(
    private readonly secret1: number,
    private readonly secret2: number,
  ) {}

  /** The minute counter of a clock in ms (tcp_cookie_time). */
  static count(now: number): number {
    return Math.floor(now / COUNT_MS) & 0xff;
  }

  /** The cookie ISN for a client's SYN saddr:sport -> daddr:dport with sequence number isn. */
  make(saddr: number, sport: number, daddr: number, dport: number, isn: number, now: number, mssIdx: number): number {
    const count = SynCookies.count(now);
    const h1 = hashTuple(this.secret1, IPPROTO_TCP, saddr, sport, daddr, dport);
    const h2 = this.h2(saddr, sport, daddr, dport, count);
    return (h1 + isn + (count << COOKIE_BITS) + ((h2 + mssIdx) & COOKIE_MASK)) >>> 0;
  }

  /**
   * The MSS index an ACK's cookie (its ack - 1) carries, or -1 when it is forged or
   * older than MAX_AGE minute-counts. isn is the client's ISN: the ACK's seq - 1.
   */
  check(saddr: number, sport: number, daddr: number, dport: number, isn: number, cookie: number, now: number): number {
    const h1 = hashTuple(this.secret1, IPPROTO_TCP, saddr, sport, daddr, dport);
    const c = (cookie - h1 - isn) >>> 0;
    const count = SynCookies.count(now);
    const age = (count - (c >>> COOKIE_BITS)) & 0xff;
    if (age > MAX_AGE) return -1;
    const data = (c - this.h2(saddr, sport, daddr, dport, (count - age) & 0xff)) & COOKIE_MASK;
    return data < MSS_TABLE.length ? data : -1;
  }

  private h2(saddr: number, sport: number, daddr: number, dport: number, count: number): number {
    return hashTuple(this.secret2 ^ Math.imul(count + 1, 0x9e3779b1), IPPROTO_TCP, saddr, sport, daddr, dport);
  }
}
