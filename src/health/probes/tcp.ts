// TCP_CHECK: the server accepts a connection within the deadline. Nothing is
// sent; the connection is closed at once. With half_open, no connection: a
// SYN answered by a SYN-ACK (syn.ts), one raw socket for every probe; where
// raw sockets are not to be had (no CAP_NET_RAW), a connect() as without it.
import net from 'node:net';
import type { ProbeResult, ProbeTarget } from '../types.js';
import { attempt, describeError } from './attempt.js';
import { SynProber } from './syn.js';

let prober: Promise<SynProber | null> | null = null;

/** half_open on an IPv6 server: the raw SYN check builds IPv4 headers only, so a connect() checks it instead. */
export const HALF_OPEN_V6 = 'half_open checks are IPv4 only; an IPv6 real server is checked with a full connect()';

export async function halfOpenProbe(port: number, target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  if (net.isIPv6(target.address)) return tcpProbe(port, target, timeoutMs, signal);
  prober ??= SynProber.open();
  const p = await prober;
  return p ? p.probe(port, target, timeoutMs, signal) : tcpProbe(port, target, timeoutMs, signal);
}

/** Closes the shared half-open prober (a process that is done probing: run-json.ts). */
export async function closeHalfOpen(): Promise<void> {
  const p = await prober;
  prober = null;
  p?.close();
}

export function tcpProbe(port: number, target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  return attempt(timeoutMs, signal, (a) => {
    const sock = net.connect({ host: target.address, port, ...(target.bindTo ? { localAddress: target.bindTo } : {}) });
    a.onEnd(() => sock.destroy());
    sock.on('error', (e) => a.fail(describeError(e)));
    sock.on('connect', () => a.ok('connected'));
  });
}
