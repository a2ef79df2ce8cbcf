// The health part of compileLvsCf: for each active virtual server, what checks its
// servers and what the service does when they fail (health/types.ts). It stays
// apart from the service table, which crosses to the data plane.
//
// A server with no check block of its own or of its virtual gets Piranha's nanny
// check (LVS-REFERENCE 1.4, 1.5), as lvsd would start it: `nanny -p VPORT -r RPORT
// [-s send] [-x expect] [-e send_program] [--regex] -t timeout -a reentry [-q]`,
// with nanny's own rules applied here so that the monitor gets them ready-made:
// send_program overrides send; with virtual port 80 and nothing configured, send
// `GET / HTTP/1.0\r\n\r\n` and expect `HTTP`; a reentry of 0 means 180. nanny
// connects with a timeout of interval*1000 ms and needs reentry/interval
// consecutive good checks before it re-adds a failed server (countThresh); the
// monitor does that from `reentry`, so the timing here says rise 1, fall 1.
// `checks = none` leaves such servers unchecked: always up.
//
// With check blocks (keepalived's checkers, keys.ts), the server's checks are its
// virtual's blocks then its own; all must pass. Their timing is one per server
// (the monitor runs a server's checks as one round): a key from the server's blocks
// wins over the virtual's; two blocks of one level that disagree are a CONFLICT.
import { addrText, formatIPv4, serviceIsV6, serviceKey, type RealServer, type VirtualService } from '../model/index.js';
import type { CheckSpec, CheckTiming, DnsType, NannyCheck, ServerChecks, ServiceHealth } from '../health/types.js';
import { blocks, checkSettings, findKey, type Block, type KeyLine } from './ast.js';
import { HALF_OPEN_V6 } from '../health/probes/tcp.js';
import { hexToBytes, hexToPattern } from './check-values.js';
import type { ConfigErrorCode } from './errors.js';
import { CHECK_KEYS, TIMING_KEYS, isCheckKind, type CheckKind, type VirtualSettings } from './keys.js';
import type { Value } from './values.js';

export interface HealthSink {
  fail(line: number, code: ConfigErrorCode, message: string): void;
  note(key: string, line: number, why: string): void;
}

/** nanny's default check of a web service (nanny.c: http_send_str, http_recv_str). */
const HTTP_SEND = 'GET / HTTP/1.0\r\n\r\n';
const HTTP_EXPECT = 'HTTP';
/** nanny.c main(): `if (reentryTime == 0) reentryTime = 180` for an LVS service. */
const NANNY_REENTRY = 180;
/** The virtual keys only the nanny check reads. */
const NANNY_KEYS = ['send', 'expect', 'use_regex', 'send_program', 'reentry'];

/** Explicit timing keys of one level of check blocks: key -> the line that set it. */
type Explicit = Map<string, KeyLine>;

export function compileHealth(vb: Block, vs: VirtualSettings, svc: VirtualService, servers: ReadonlyArray<{ rs: RealServer; block: Block }>, sink: HealthSink, rsh = 'rsh'): ServiceHealth {
  const vChecks = checkBlocks(vb);
  const vTiming = explicitTiming(vChecks, sink);
  const service = serviceKey(svc);
  let nannyUsers = 0;
  const out: ServerChecks[] = servers.map(({ rs, block }) => {
    const sChecks = checkBlocks(block);
    // A firewall-mark service's server keeps the packet's port (0); checks go to the virtual's port.
    const markPort = svc.fwmark && rs.port === 0 ? vs.port : null;
    const base = { service, address: addrText(rs), port: rs.port, weight: rs.weight };
    if (vChecks.length + sChecks.length === 0) {
      nannyUsers += vs.checks === 'nanny' ? 1 : 0;
      const checks = vs.checks === 'nanny' ? [nannyCheck(vs, markPort)] : [];
      return { ...base, checks, timing: nannyTiming(vs), reentry: vs.checks === 'nanny' ? vs.reentry || NANNY_REENTRY : 0 };
    }
    const all = [...vChecks, ...sChecks];
    const timing = blockTiming(all, new Map([...vTiming, ...explicitTiming(sChecks, sink)]), vs);
    return { ...base, checks: all.map((b) => checkSpec(b, markPort, timing)), timing, reentry: 0 };
  });
  nannyNotes(vb, vs, servers.length > 0 && nannyUsers === 0, sink);
  for (const { rs, block } of servers) {
    if (rs.address6 === undefined) continue;
    for (const c of [...vChecks, ...checkBlocks(block)]) {
      const k = c.name === 'tcp' ? findKey(c.items, 'half_open') : undefined;
      if (k && k.value === true) sink.note('half_open', k.line, `${HALF_OPEN_V6} (server ${rs.name})`);
    }
  }
  // sorry_server is an IPv4 address (lvs.cf's `ip` kind); IPVS puts only a tunnel server of another family in a service.
  if (vs.sorry_server !== null && serviceIsV6(svc)) sink.fail(findKey(vb.items, 'sorry_server')!.line, 'BADHOSTNAME', 'sorry_server is an IPv4 address; an IPv6 service cannot use one (an IPv6 sorry server is not supported yet)');
  quorum(vb, vs, sink);
  // nanny -U: the virtual's load monitor moves the weight of each of its servers (health/load.ts).
  const tool = vs.load_monitor;
  if (tool !== 'none') for (const s of out) s.loadMonitor = { tool: tool as 'uptime' | 'rup' | 'ruptime', rsh };
  return {
    service,
    sorryServer: vs.sorry_server === null ? null : { address: formatIPv4(vs.sorry_server), port: svc.fwmark ? 0 : vs.port },
    quorum: vs.quorum,
    hysteresis: vs.hysteresis,
    quorumUp: vs.quorum_up,
    quorumDown: vs.quorum_down,
    servers: out,
  };
}

function checkBlocks(b: Block): Block[] {
  return blocks(b.items, 'check').filter((c) => isCheckKind(c.name));
}

function nannyCheck(vs: VirtualSettings, markPort: number | null): NannyCheck {
  const sendProgram = vs.send_program;
  let send = sendProgram === null ? vs.send : null;
  let expect = vs.expect;
  // nanny.c: `if ((port == 80) && (send_str == NULL) && (expect_str == NULL) && (send_program == NULL))`,
  // port being the virtual's (-p), "assuming web service on port 80".
  if (vs.port === 80 && send === null && expect === null && sendProgram === null) [send, expect] = [HTTP_SEND, HTTP_EXPECT];
  const check: NannyCheck = { kind: 'nanny', protocol: vs.protocol as 'tcp' | 'udp', send, expect, useRegex: vs.use_regex, sendProgram };
  if (markPort !== null) check.port = markPort;
  return check;
}

function nannyTiming(vs: VirtualSettings): CheckTiming {
  return {
    interval: vs.timeout,
    connectTimeout: vs.timeout,
    retry: 0,
    delayBeforeRetry: 0,
    rise: 1,
    fall: 1,
    warmup: 0,
    // nanny starts with the server out of the table and adds it at its first good check.
    alpha: vs.alpha ?? true,
    inhibitOnFailure: vs.quiesce_server,
    notifyUp: null,
    notifyDown: null,
  };
}

/** The timing keys set by one level of blocks; a key set twice with different values is a CONFLICT. */
function explicitTiming(checks: readonly Block[], sink: HealthSink): Explicit {
  const out: Explicit = new Map();
  for (const b of checks) {
    for (const key of TIMING_KEYS) {
      const line = findKey(b.items, key);
      if (!line) continue;
      const first = out.get(key);
      if (!first) out.set(key, line);
      else if (JSON.stringify(first.value) !== JSON.stringify(line.value)) {
        sink.fail(line.line, 'CONFLICT', `${key} = ${line.args.join(' ')} disagrees with ${key} = ${first.args.join(' ')} at line ${first.line}: a server's checks run as one round and share their timing; set it once`);
      }
    }
  }
  return out;
}

function blockTiming(checks: readonly Block[], explicit: Explicit, vs: VirtualSettings): CheckTiming {
  const kinds = checks.map((b) => b.name as CheckKind);
  const get = <T extends Value>(key: string, def: T): T => (explicit.get(key)?.value as T | undefined) ?? def;
  // keepalived's per-checker defaults; one server mixing kinds gets the largest.
  const most = (key: 'retry' | 'delay_before_retry') => Math.max(...kinds.map((k) => CHECK_KEYS[k][key].def));
  return {
    interval: get('delay_loop', vs.timeout),
    connectTimeout: get('connect_timeout', 5),
    retry: get('retry', most('retry')),
    delayBeforeRetry: get('delay_before_retry', most('delay_before_retry')),
    rise: get('rise', 1),
    fall: get('fall', 1),
    warmup: get('warmup', 0),
    alpha: get('alpha', vs.alpha ?? false),
    inhibitOnFailure: get('inhibit_on_failure', vs.quiesce_server),
    notifyUp: get<string | null>('notify_up', null),
    notifyDown: get<string | null>('notify_down', null),
  };
}

function checkSpec(b: Block, markPort: number | null, timing: CheckTiming): CheckSpec {
  const kind = b.name as CheckKind;
  switch (kind) {
    case 'tcp': {
      const s = checkSettings(b, kind);
      return s.half_open ? { kind, port: s.port ?? markPort, halfOpen: true } : { kind, port: s.port ?? markPort };
    }
    case 'http':
    case 'https': {
      const s = checkSettings(b, 'https');
      return {
        kind,
        port: s.port ?? markPort,
        path: s.path,
        status: s.status.map(([lo, hi]): [number, number] => [lo, hi]),
        digest: s.digest,
        regex: s.regex,
        regexNoMatch: s.regex_no_match,
        virtualhost: s.virtualhost,
        sni: kind === 'https' ? s.sni : null,
      };
    }
    case 'dns': {
      const s = checkSettings(b, kind);
      return { kind, port: s.port ?? markPort, type: s.type as DnsType, name: s.name };
    }
    case 'udp': {
      const s = checkSettings(b, kind);
      return {
        kind,
        port: s.port ?? markPort,
        payload: hexToBytes(s.payload ?? ''),
        reply: s.require_reply === null ? null : hexToPattern(s.require_reply),
        minReply: s.min_reply_length,
        maxReply: s.max_reply_length,
      };
    }
    case 'icmp':
      return { kind };
    case 'misc': {
      const s = checkSettings(b, kind);
      // keepalived: misc_timeout defaults to the delay_loop.
      return { kind, command: s.path!, timeout: s.misc_timeout ?? timing.interval, dynamic: s.misc_dynamic };
    }
  }
}

/** Says which nanny keys nothing reads, and Piranha quirks that change what a key means. */
function nannyNotes(vb: Block, vs: VirtualSettings, unused: boolean, sink: HealthSink): void {
  for (const key of NANNY_KEYS) {
    const line = findKey(vb.items, key);
    if (!line) continue;
    if (unused) {
      sink.note(key, line.line, vs.checks === 'none' ? 'checks = none: no server gets the nanny check' : 'every server has check blocks, which replace the nanny check');
    } else if (key === 'send' && vs.send_program !== null) {
      sink.note(key, line.line, 'send_program is set and overrides send (nanny ignores send then)');
    } else if (key === 'reentry' && vs.reentry === 0) {
      sink.note(key, line.line, `nanny takes reentry = 0 as its default, ${NANNY_REENTRY} s`);
    }
  }
}

function quorum(vb: Block, vs: VirtualSettings, sink: HealthSink): void {
  // keepalived brings a service up at quorum + hysteresis and down below quorum - hysteresis;
  // with hysteresis >= quorum it could never go down.
  if (vs.hysteresis >= vs.quorum) {
    sink.fail(findKey(vb.items, 'hysteresis')!.line, 'RANGE', `hysteresis ${vs.hysteresis} must be less than quorum ${vs.quorum} (the service would never go down)`);
  }
}
