// TCP_CHECK: the server accepts a connection within the deadline. Nothing is
// sent; the connection is closed at once.
import net from 'node:net';
import type { ProbeResult, ProbeTarget } from '../types.js';
import { attempt, describeError } from './attempt.js';

export function tcpProbe(port: number, target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  return attempt(timeoutMs, signal, (a) => {
    const sock = net.connect({ host: target.address, port, ...(target.bindTo ? { localAddress: target.bindTo } : {}) });
    a.onEnd(() => sock.destroy());
    sock.on('error', (e) => a.fail(describeError(e)));
    sock.on('connect', () => a.ok('connected'));
  });
}
