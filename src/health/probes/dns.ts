// DNS_CHECK (keepalived check_dns.c): one query over UDP to the server. The
// reply counts when its ID is ours and QR is set (anything else is ignored and
// the wait goes on, as dns_recv_thread does); then RCODE NOERROR passes and any
// other RCODE fails. keepalived asks nothing of the answer section, so neither
// does this: a NOERROR reply without a record of the type still passes (the
// detail line says how many there were).
import { randomInt } from 'node:crypto';
import type { ProbeResult, ProbeTarget, DnsType } from '../types.js';
import { attempt } from './attempt.js';
import { DNS_TYPE_CODES, decodeReply, encodeQuery, rcodeName } from './dns-wire.js';
import { sendUdp } from './udp-socket.js';

export interface DnsSpec {
  port: number | null;
  type: DnsType;
  name: string;
}

export function dnsProbe(spec: DnsSpec, target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  return attempt(timeoutMs, signal, (a) => {
    const id = randomInt(0x10000);
    const query = encodeQuery(id, spec.name, spec.type);
    sendUdp(a, target, spec.port ?? target.port, query, (msg) => {
      const reply = decodeReply(msg);
      if (!reply || reply.id !== id || !reply.response) return;
      if (reply.rcode !== 0) return a.fail(`rcode ${rcodeName(reply.rcode)}`);
      const ofType = reply.answerTypes.filter((t) => t === DNS_TYPE_CODES[spec.type]).length;
      a.ok(`NOERROR, ${ofType} ${spec.type} record${ofType === 1 ? '' : 's'}`);
    });
  });
}
