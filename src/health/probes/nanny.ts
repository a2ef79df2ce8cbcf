// Piranha's nanny check (nanny.c; LVS-REFERENCE 1.5): a send_program whose
// output is compared with `expect`, else pinger(): a TCP connection (or, for a
// UDP virtual server, a UDP datagram) that may send `send` and compare the
// reply with `expect`. The port is the real server's own: nanny has no other.
import net from 'node:net';
import type { NannyCheck, ProbeResult, ProbeTarget } from '../types.js';
import { attempt, clampTimeout, describeError, since, timedOut, type Attempt } from './attempt.js';
import { expectation, type Expectation } from './expect.js';
import { runShell, substitute } from './shell.js';
import { sendUdp } from './udp-socket.js';

/** nanny's backwards-compatible request when port 80 is checked with neither send nor expect. */
export const PORT80_DEFAULT_SEND = 'GET / HTTP/1.0\r\n\r\n';

export function nannyProbe(spec: NannyCheck, target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  if (spec.sendProgram !== null) return sendProgram(spec, spec.sendProgram, target, timeoutMs, signal);
  return attempt(timeoutMs, signal, (a) => {
    const expect = spec.expect === null ? null : expectation(spec.expect, spec.useRegex);
    if (spec.protocol === 'udp') udpPinger(a, spec, expect, target);
    else tcpPinger(a, spec, expect, target);
  });
}

function tcpPinger(a: Attempt, spec: NannyCheck, expect: Expectation | null, target: ProbeTarget): void {
  const send = spec.send ?? (target.port === 80 && spec.expect === null ? PORT80_DEFAULT_SEND : null);
  const sock = net.connect({ host: target.address, port: target.port, ...(target.bindTo ? { localAddress: target.bindTo } : {}) });
  a.onEnd(() => sock.destroy());
  sock.on('error', (e) => a.fail(describeError(e)));
  let got = Buffer.alloc(0);
  let connected = false;
  a.onTimeout(() => {
    if (!connected) return a.fail(timedOut(a.timeoutMs));
    if (!expect) return a.fail(`${timedOut(a.timeoutMs)} sending`);
    const j = expect.judge(got, true);
    a.fail(got.length > 0 && j.verdict === 'mismatch' ? j.detail : `${timedOut(a.timeoutMs)} waiting for a reply`);
  });
  sock.on('connect', () => {
    connected = true;
    if (send !== null) sock.write(send, 'utf8', () => !expect && a.ok('connected, sent'));
    else if (!expect) a.ok('connected');
  });
  if (!expect) return;
  const judge = (ended: boolean): void => {
    const j = expect.judge(got, ended);
    if (j.verdict === 'match') a.ok('expect matched');
    else if (j.verdict === 'mismatch') a.fail(j.detail);
  };
  sock.on('data', (b: Buffer) => {
    got = Buffer.concat([got, b]);
    judge(false);
  });
  sock.on('end', () => judge(true));
}

// UDP, as nanny and keepalived's UDP_CHECK (layer4.c udp_socket_state: "Handle
// Read timeout, we consider it success unless require_reply is set"): with no
// `expect`, nanny only reads one byte, so any reply is a success, an ICMP
// destination unreachable (port, or host: udp-socket.ts) is a failure, and
// silence until the deadline counts as a success (UDP has no handshake; no
// error means nothing refused the datagram). With `expect`, the first datagram
// is the reply and silence is a failure. Nothing to send (no `send`): an empty
// datagram, which still draws the ICMP error from a closed port.
function udpPinger(a: Attempt, spec: NannyCheck, expect: Expectation | null, target: ProbeTarget): void {
  if (!expect) a.onTimeout(() => a.ok('no reply, no ICMP error'));
  else a.onTimeout(() => a.fail(`${timedOut(a.timeoutMs)} waiting for a reply`));
  const payload = spec.send === null ? new Uint8Array(0) : Buffer.from(spec.send, 'utf8');
  sendUdp(a, target, target.port, payload, (msg) => {
    if (!expect) return a.ok('reply received');
    const j = expect.judge(msg, true);
    if (j.verdict === 'match') a.ok('expect matched');
    else a.fail(j.verdict === 'mismatch' ? j.detail : 'expect mismatch');
  });
}

/** Largest output of a send_program kept for the comparison. */
const PROGRAM_OUTPUT_MAX = 64 * 1024;

// send_program: run with the real server's address and port substituted, bounded
// by the check's timeout; its standard output is compared with `expect` (the exit
// status then does not matter); with no `expect`, an exit status of 0 passes.
async function sendProgram(spec: NannyCheck, program: string, target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  const t0 = performance.now();
  let expect: Expectation | null;
  try {
    expect = spec.expect === null ? null : expectation(spec.expect, spec.useRegex);
  } catch (e) {
    return { ok: false, detail: describeError(e), ms: since(t0) };
  }
  const end = await runShell(substitute(program, target), { timeoutMs, signal, stdoutCap: PROGRAM_OUTPUT_MAX });
  const result = (ok: boolean, detail: string): ProbeResult => ({ ok, detail, ms: since(t0) });
  switch (end.how) {
    case 'timeout':
      return result(false, timedOut(clampTimeout(timeoutMs)));
    case 'aborted':
      return result(false, 'aborted');
    case 'error':
      return result(false, end.message);
    case 'signal':
      if (!expect) return result(false, `killed by ${end.signal}`);
      break;
    case 'exit':
      if (!expect) return result(end.code === 0, `exit ${end.code}`);
  }
  if (end.stdout.length === 0) return result(false, 'expect mismatch: no output');
  const j = expect.judge(end.stdout, true);
  return j.verdict === 'match' ? result(true, 'expect matched') : result(false, j.verdict === 'mismatch' ? j.detail : 'expect mismatch');
}
