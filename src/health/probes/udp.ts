// UDP_CHECK (keepalived check_udp.c and layer4.c), rule for rule:
// - the payload is sent in one datagram; with none configured, keepalived sends
//   32 filler bytes ("keepalived check - " repeated, set_buf) so that a closed
//   port still answers with an ICMP error; here the filler says "tsvs check - ".
// - any ICMP destination unreachable fails the check (udp_socket_error).
// - with no reply required (reply null), silence until the deadline passes
//   ("we consider it success unless require_reply is set"), and so does any reply.
// - with a reply required, silence fails. When the pattern has bytes, the reply's
//   length must lie within [minReply, maxReply] and "we only check lesser of len
//   and reply_len octets" (check_udp_reply): a shorter reply is compared on its
//   own bytes, and a null byte of the pattern (an X) matches anything. An empty
//   pattern (require_reply with no data) asks for a reply and nothing of it.
import type { ProbeResult, ProbeTarget, ReplyPattern } from '../types.js';
import { attempt, timedOut } from './attempt.js';
import { sendUdp } from './udp-socket.js';

export interface UdpSpec {
  port: number | null;
  payload: Uint8Array;
  reply: ReplyPattern | null;
  minReply: number;
  maxReply: number;
}

const FILLER = Buffer.from('tsvs check - '.repeat(3).slice(0, 32), 'ascii');

export function udpProbe(spec: UdpSpec, target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  return attempt(timeoutMs, signal, (a) => {
    if (spec.reply === null) a.onTimeout(() => a.ok('no reply, no ICMP error'));
    else a.onTimeout(() => a.fail(`${timedOut(a.timeoutMs)} waiting for a reply`));
    const payload = spec.payload.length > 0 ? spec.payload : FILLER;
    sendUdp(a, target, spec.port ?? target.port, payload, (msg) => {
      const why = spec.reply === null ? null : replyMismatch(spec, spec.reply, msg);
      if (why) a.fail(why);
      else a.ok('reply received');
    });
  });
}

/** Why a reply fails the pattern (check_udp_reply), or null when it passes. */
export function replyMismatch(spec: Pick<UdpSpec, 'minReply' | 'maxReply'>, pattern: ReplyPattern, reply: Uint8Array): string | null {
  if (pattern.length === 0) return null;
  if (reply.length < spec.minReply || reply.length > spec.maxReply) {
    return `reply length ${reply.length} outside ${spec.minReply}..${spec.maxReply}`;
  }
  const n = Math.min(reply.length, pattern.length);
  for (let i = 0; i < n; i++) {
    const want = pattern[i];
    if (want !== null && want !== reply[i]) {
      return `reply mismatch at byte ${i}: got 0x${hex(reply[i])}, want 0x${hex(want)}`;
    }
  }
  return null;
}

const hex = (b: number): string => b.toString(16).padStart(2, '0');
