// A connected UDP socket for one attempt (nanny's UDP check, UDP_CHECK,
// DNS_CHECK): bound to bindTo when set, connected to the server, one datagram
// sent. keepalived fails such a check on any ICMP destination unreachable
// (layer4.c udp_socket_error, through IP_RECVERR). Linux reports the hard ones
// (port unreachable: ECONNREFUSED) to the connected socket itself; the others,
// host unreachable above all, are caught by watching ICMP (raw-icmp.ts).
import dgram from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';
import type { ProbeTarget } from '../types.js';
import { describeError, type Attempt } from './attempt.js';
import { watchUdpUnreachable } from './raw-icmp.js';

export function sendUdp(a: Attempt, target: ProbeTarget, port: number, payload: Uint8Array, onReply: (msg: Buffer) => void): void {
  const sock = dgram.createSocket(isIPv6(target.address) ? 'udp6' : 'udp4');
  a.onEnd(() => sock.close());
  sock.on('error', (e: NodeJS.ErrnoException) => a.fail(e.code === 'ECONNREFUSED' ? 'port unreachable' : describeError(e)));
  sock.on('message', (msg) => {
    if (!a.settled) onReply(msg);
  });
  const go = (): void =>
    sock.connect(port, target.address, () => {
      if (a.settled) return;
      const local = sock.address();
      if (isIPv4(target.address)) watchUdpUnreachable(a, { src: local.address, srcPort: local.port, dst: target.address, dstPort: port });
      sock.send(payload, (e) => {
        if (e) a.fail(describeError(e));
      });
    });
  if (target.bindTo) sock.bind({ address: target.bindTo, port: 0 }, go);
  else go();
}
