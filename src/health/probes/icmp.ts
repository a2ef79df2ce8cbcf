// PING_CHECK: one ICMP echo request (RFC 792) and its reply, through a raw
// socket of the `raw-socket` npm package (raw-icmp.ts). A raw ICMP socket sees
// every ICMP message of the host, so a reply counts only when it comes from the server, carries our identifier, sequence and payload,
// and its checksum is right. An ICMP error that quotes our request (network,
// host or port unreachable, TTL exceeded) fails the check at once; anything
// else waits for the deadline. IPv4 only, as the data plane.
import { randomBytes, randomInt } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { checksum, sum16 } from '../../packet/checksum.js';
import { ICMP_ECHO, ICMP_ECHO_REPLY } from '../../packet/icmp.js';
import type { ProbeResult, ProbeTarget } from '../types.js';
import { attempt, type Attempt } from './attempt.js';
import { dotted, icmpError, icmpErrorText, loadRaw, openIcmp, type RawModule, type RawSocket } from './raw-icmp.js';

export interface Echo {
  address: string;
  id: number;
  seq: number;
  payload: Uint8Array;
}

let nextSeq = randomInt(0x10000);

export function icmpProbe(target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  return attempt(timeoutMs, signal, (a) => {
    if (!isIPv4(target.address)) return a.fail('icmp check: IPv4 only');
    if (target.bindTo && !isLocalIPv4(target.bindTo)) return a.fail('local address not available');
    const mod = loadRaw();
    if (!mod) return a.fail('icmp check needs raw-socket');
    const sock = openRaw(a, mod);
    if (!sock) return;
    nextSeq = (nextSeq + 1) & 0xffff;
    const echo: Echo = { address: target.address, id: randomInt(0x10000), seq: nextSeq, payload: randomBytes(16) };
    let badChecksums = 0;
    sock.on('message', (buf) => {
      const r = readReply(buf, echo);
      if (r === 'bad checksum') badChecksums++;
      else if (r === 'reply') a.ok('echo reply');
      else if (r !== null) a.fail(r);
    });
    a.onTimeout(() => a.fail(`timed out after ${a.timeoutMs} ms${badChecksums ? ` (${badChecksums} replies with a bad checksum)` : ''}`));
    let packet = echoRequest(echo);
    if (target.bindTo) {
      // raw-socket cannot bind(): the source goes in an IP header of our own (IP_HDRINCL).
      sock.setOption(mod.SocketLevel.IPPROTO_IP, mod.SocketOption.IP_HDRINCL, 1);
      packet = Buffer.concat([ipv4Header(target.bindTo, target.address, packet.length), packet]);
    }
    sock.send(packet, 0, packet.length, target.address, (err) => {
      if (err) a.fail(err.message.toLowerCase());
    });
  });
}

function openRaw(a: Attempt, mod: RawModule): RawSocket | null {
  let sock: RawSocket;
  try {
    sock = openIcmp(a, mod);
  } catch (e) {
    const m = (e as Error).message.toLowerCase();
    a.fail(`icmp check: raw socket: ${m}${/not permitted/.test(m) ? ' (needs root or CAP_NET_RAW)' : ''}`);
    return null;
  }
  sock.on('error', (e) => a.fail(`icmp check: ${e.message.toLowerCase()}`));
  return sock;
}

/** An echo request: type 8, code 0, checksum, identifier, sequence number, payload (RFC 792). */
export function echoRequest(e: Echo): Buffer {
  const b = Buffer.alloc(8 + e.payload.length);
  b[0] = ICMP_ECHO;
  b.writeUInt16BE(e.id, 4);
  b.writeUInt16BE(e.seq, 6);
  b.set(e.payload, 8);
  b.writeUInt16BE(checksum(b, 0, b.length), 2);
  return b;
}

/**
 * What bind() would say of bindTo: the other kinds fail on EADDRNOTAVAIL, and
 * without this check a header of our own would carry any source at all.
 */
function isLocalIPv4(address: string): boolean {
  return isIPv4(address) && Object.values(networkInterfaces()).some((list) => list?.some((i) => i.family === 'IPv4' && i.address === address));
}

/** A 20-byte IPv4 header for IP_HDRINCL; the kernel fills the total length, the IP id and the header checksum. */
function ipv4Header(src: string, dst: string, payloadLength: number): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payloadLength, 2);
  h[8] = 64; // TTL
  h[9] = 1; // ICMP
  h.set(src.split('.').map(Number), 12);
  h.set(dst.split('.').map(Number), 16);
  return h;
}

/**
 * What one received IPv4 packet (a raw socket hands over the IP header too) says
 * about our echo: 'reply', 'bad checksum' (ours, corrupted: ignored), a failure
 * detail for an ICMP error quoting our request, or null when it is not about us.
 */
export function readReply(p: Uint8Array, e: Echo): 'reply' | 'bad checksum' | string | null {
  const ihl = (p[0] & 0x0f) * 4;
  if (p.length < ihl + 8 || p[9] !== 1) return null;
  const icmp = p.subarray(ihl);
  if (icmp[0] === ICMP_ECHO_REPLY) {
    if (dotted(p, 12) !== e.address || !sameEcho(icmp, e) || !bytesEqual(icmp.subarray(8), e.payload)) return null;
    return sum16(icmp, 0, icmp.length) === 0xffff ? 'reply' : 'bad checksum';
  }
  const err = icmpError(p);
  if (!err || err.inner[9] !== 1 || dotted(err.inner, 16) !== e.address) return null;
  const quotedEcho = err.inner.subarray(err.innerL4);
  if (quotedEcho[0] !== ICMP_ECHO || !sameEcho(quotedEcho, e)) return null;
  return `${icmpErrorText(err)} (from ${err.from})`;
}

const sameEcho = (icmp: Uint8Array, e: Echo): boolean =>
  ((icmp[4] << 8) | icmp[5]) === e.id && ((icmp[6] << 8) | icmp[7]) === e.seq;

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
