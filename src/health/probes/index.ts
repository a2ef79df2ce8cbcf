// One attempt of one check against one server: the kinds of CheckSpec, one
// file each, behind one function. runProbe never throws and never rejects:
// every failure is a result with ok=false and a one-line detail; by the time
// it resolves, the attempt has closed its sockets, cleared its timers and seen
// its child exit.
import type { CheckSpec, ProbeResult, ProbeTarget } from '../types.js';
import { describeError, since } from './attempt.js';
import { dnsProbe } from './dns.js';
import { httpProbe } from './http.js';
import { icmpProbe } from './icmp.js';
import { miscProbe } from './misc.js';
import { nannyProbe } from './nanny.js';
import { halfOpenProbe, tcpProbe } from './tcp.js';
import { udpProbe } from './udp.js';

export function runProbe(spec: CheckSpec, target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  const t0 = performance.now();
  try {
    return dispatch(spec, target, timeoutMs, signal).catch((e: unknown) => failed(e, t0));
  } catch (e) {
    return Promise.resolve(failed(e, t0));
  }
}

function dispatch(spec: CheckSpec, target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  switch (spec.kind) {
    case 'nanny':
      return nannyProbe(spec, target, timeoutMs, signal);
    case 'tcp':
      return (spec.halfOpen ? halfOpenProbe : tcpProbe)(spec.port ?? target.port, target, timeoutMs, signal);
    case 'http':
    case 'https':
      return httpProbe(spec, target, timeoutMs, signal);
    case 'dns':
      return dnsProbe(spec, target, timeoutMs, signal);
    case 'udp':
      return udpProbe(spec, target, timeoutMs, signal);
    case 'icmp':
      return icmpProbe(target, timeoutMs, signal);
    case 'misc':
      return miscProbe(spec, target, timeoutMs, signal);
    default:
      return Promise.resolve({ ok: false, detail: `unknown check kind ${JSON.stringify((spec as { kind: unknown }).kind)}`, ms: 0 });
  }
}

/** A bug of ours, not a verdict on the server; still a result, never a rejection. */
function failed(e: unknown, t0: number): ProbeResult {
  return { ok: false, detail: `probe error: ${describeError(e)}`, ms: since(t0) };
}
