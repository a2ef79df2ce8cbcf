// What the health bench asks the monitor to do: one service of N real servers,
// each with one check (TCP connect, a half-open TCP check: SYN and SYN-ACK on
// one raw socket, or HTTP GET / on the responders' HTTP port),
// every 2 s, 1 s to answer, one failed round takes a server down and one good
// round brings it back (rise = fall = 1: the fastest detection the contract
// allows, so the detection time is the scheduling's, not the dampening's).
import type { CheckSpec, HealthConfig, ServerChecks } from '../../src/health/types.js';
import { formatIPv4, parseIPv4 } from '../../src/model/index.js';
import { HTTP_PORT, TCP_PORT } from './ports.js';

export const INTERVAL_S = 2;
export const CONNECT_TIMEOUT_S = 1;
/** The service the servers belong to (a model serviceKey; the router's table need not hold it). */
export const SERVICE = 'TCP 198.18.0.10:80';

/** tcp-syn: `check tcp { half_open = 1 }` (health/probes/syn.ts). */
export type CheckKind = 'tcp' | 'tcp-syn' | 'http';

/**
 * Responder address i (0-based): 198.19.(128 + i / 250).(1 + i % 250), so 10,000
 * servers fill 198.19.128.1 to 198.19.167.250. The upper half of 198.19.0.0/16
 * keeps clear of the control bench's real servers (198.19.1.1 on), which the data
 * plane part forwards to through another link.
 */
export function responderAddress(i: number): string {
  return formatIPv4((parseIPv4('198.19.128.1')! + Math.floor(i / 250) * 256 + (i % 250)) >>> 0);
}

export function responderAddresses(n: number): string[] {
  return Array.from({ length: n }, (_, i) => responderAddress(i));
}

function check(kind: CheckKind): CheckSpec {
  if (kind === 'tcp') return { kind: 'tcp', port: null };
  if (kind === 'tcp-syn') return { kind: 'tcp', port: null, halfOpen: true };
  return { kind: 'http', port: HTTP_PORT, path: '/', status: [], digest: null, regex: null, regexNoMatch: false, virtualhost: null, sni: null };
}

export function healthConfig(addresses: string[], kind: CheckKind): HealthConfig {
  const checks = [check(kind)];
  const servers = addresses.map((address): ServerChecks => ({
    service: SERVICE, address, port: TCP_PORT, weight: 1, checks, reentry: 0,
    timing: {
      interval: INTERVAL_S, connectTimeout: CONNECT_TIMEOUT_S, retry: 0, delayBeforeRetry: 1, rise: 1, fall: 1,
      warmup: 0, alpha: false, inhibitOnFailure: false, notifyUp: null, notifyDown: null,
    },
  }));
  return { services: [{ service: SERVICE, sorryServer: null, quorum: 1, hysteresis: 0, quorumUp: null, quorumDown: null, servers }], hardShutdown: false };
}
