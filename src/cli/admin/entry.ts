// struct ipvs_command_entry and the option loop of parse_options(): each
// option, in command-line order, fills the entry exactly as ipvsadm does
// (so "-r" before "-t" copies a port of 0, as it would there), and every
// value it refuses fails with ipvsadm's message and status 2.
import { isIPv4, isIPv6 } from 'node:net';
import { fail } from './errors.js';
import type { TunnelType } from './opt-check.js';
import { DEFAULT_FORMAT, type DaemonSettings, type ListFormat } from './command.js';
import type { NameService } from './names.js';
import { OPTION_OF, type OptName, type OptVal } from './options.js';
import { parseNetmask, parseService, SERVICE_ADDR, type AddrPort } from './service-arg.js';
import { atoi, INT_MAX, MAX_TIMEOUT, parseFwmark, parseIntRange, parseTimeout } from './values.js';

export interface SvcEntry extends AddrPort {
  protocol: 'tcp' | 'udp' | 'sctp' | null;
  fwmark: number;
  scheduler: string;
  persistent: boolean;
  timeout: number;
  /** Dotted IPv4 mask, or an IPv6 prefix length. */
  netmask: string | number;
  onePacket: boolean;
  pe: string;
}

export interface DestEntry extends AddrPort {
  forward: 'nat' | 'dr' | 'tunnel';
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
  tunType: TunnelType;
  /** --tun-port (0 = not given). */
  tunPort: number;
  /** --tun-nocsum / --tun-csum / --tun-remcsum: tun_flags (nocsum by default). */
  tunCsum: 'none' | 'csum' | 'remcsum';
}

export class CommandEntry {
  readonly options = new Set<OptName>();
  readonly format: ListFormat = { ...DEFAULT_FORMAT };
  // process_options' defaults: weight 1, direct routing, a /32 persistence mask.
  readonly svc: SvcEntry = {
    af: 0, address: '0.0.0.0', port: 0, protocol: null, fwmark: 0, scheduler: '', persistent: false,
    timeout: 0, netmask: '255.255.255.255', onePacket: false, pe: '',
  };
  readonly dest: DestEntry = {
    af: 0, address: '0.0.0.0', port: 0, forward: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0, tunType: 'ipip', tunPort: 0, tunCsum: 'none',
  };
  readonly daemon: DaemonSettings = { state: 'master', mcastInterface: '' };
  timeouts: { tcp: number; tcpfin: number; udp: number } | null = null;
  schedFlagsArg = '';
  /** The -b names once checked; null when -b was not given (or was empty, which ipvsadm ignores). */
  schedFlags: string[] | null = null;

  constructor(private readonly names: NameService) {}

  /** set_option(): each option at most once. */
  private set(val: OptVal): void {
    const name = OPTION_OF[val];
    if (!name) return;
    if (this.options.has(name)) fail(`multiple '${name}' options specified`);
    this.options.add(name);
  }

  /** One option of the loop. Returns false for a value the loop does not know (ipvsadm's "invalid option"). */
  async apply(val: OptVal, arg: string | null): Promise<boolean> {
    this.set(val);
    const s = arg ?? '';
    switch (val) {
      case 't': case 'u': case 'sctp-service': {
        this.svc.protocol = val === 't' ? 'tcp' : val === 'u' ? 'udp' : 'sctp';
        const parse = await parseService(s, this.svc.protocol, this.svc, this.names);
        if (!(parse & SERVICE_ADDR)) fail('illegal virtual server address[:port] specified');
        return true;
      }
      case 'f':
        // "Set protocol to a sane value, even though it is not used."
        this.svc.af = 4;
        this.svc.protocol = 'tcp';
        this.svc.fwmark = parseFwmark(s);
        return true;
      case 's': this.svc.scheduler = s.slice(0, 15); return true; // strncpy into sched_name[16]
      case 'p':
        this.svc.persistent = true;
        this.svc.timeout = parseTimeout(arg, 1, MAX_TIMEOUT);
        return true;
      case 'M': return this.netmask(s);
      case 'r': return this.server(s);
      case 'i': this.dest.forward = 'tunnel'; return true;
      case 'g': this.dest.forward = 'dr'; return true;
      case 'm': this.dest.forward = 'nat'; return true;
      case 'w': this.dest.weight = parseIntRange(s, 0, 65535, 'illegal weight specified'); return true;
      case 'x': this.dest.upperThreshold = parseIntRange(s, 0, INT_MAX, 'illegal u_threshold specified'); return true;
      case 'y': this.dest.lowerThreshold = parseIntRange(s, 0, INT_MAX, 'illegal l_threshold specified'); return true;
      case 'c': case 'timeout': case 'daemon': case 'sort': return true;
      case 'n': this.format.numeric = true; return true;
      case 'stats': this.format.stats = true; return true;
      case 'rate': this.format.rate = true; return true;
      case 'thresholds': this.format.thresholds = true; return true;
      case 'persistent-conn': this.format.persistentConn = true; return true;
      case 'nosort': this.format.noSort = true; return true;
      case 'X': this.format.exact = true; return true;
      case 'tun-info': this.format.tunInfo = true; return true;
      case 'json': this.format.json = true; return true;
      case '6':
        if (!this.svc.fwmark) fail('-6 used before -f\n');
        this.svc.af = 6;
        this.svc.netmask = 128;
        return true;
      case 'o': this.svc.onePacket = true; return true;
      case 'pe': this.svc.pe = s; return true;
      case 'b': this.schedFlagsArg = s; return true;
      default: return this.daemonOrTunnel(val, s);
    }
  }

  private async netmask(s: string): Promise<boolean> {
    if (this.svc.af !== 6) {
      const mask = await parseNetmask(s, this.names);
      if (mask === null) fail('illegal virtual server persistent mask specified');
      this.svc.netmask = mask;
    } else {
      const n = atoi(s);
      if (n < 1 || n > 128) fail('illegal ipv6 netmask specified');
      this.svc.netmask = n;
    }
    return true;
  }

  private async server(s: string): Promise<boolean> {
    // ipvsadm parses into a copy of the service, so the port defaults to the
    // service's port as known at this point of the command line.
    const t: AddrPort = { af: this.svc.af, address: this.svc.address, port: this.svc.port };
    const parse = await parseService(s, this.svc.protocol, t, this.names);
    this.dest.af = t.af;
    this.dest.address = t.address;
    this.dest.port = t.port;
    if (!(parse & SERVICE_ADDR)) fail('illegal real server address[:port] specified');
    if (parse === SERVICE_ADDR) this.dest.port = this.svc.port;
    return true;
  }

  private daemonOrTunnel(val: OptVal, s: string): boolean {
    const d = this.daemon;
    switch (val) {
      case 'mcast-interface': d.mcastInterface = s.slice(0, 15); return true;
      case 'syncid': d.syncid = parseIntRange(s, 0, 255, 'illegal syncid specified'); return true;
      case 'mcast-group':
        if (s.includes(':')) {
          if (!isIPv6(s) || s.includes('%') || !/^ff[0-9a-f]{2}:/i.test(s)) fail(`invalid IPv6 mcast-group \`${s}'`);
        } else if (!isIPv4(s) || Number(s.split('.')[0]) < 224 || Number(s.split('.')[0]) > 239) {
          fail(`invalid IPv4 mcast-group \`${s}'`);
        }
        d.mcastGroup = s;
        return true;
      case 'mcast-port': d.mcastPort = parseIntRange(s, 1, 65535, 'illegal mcast-port specified'); return true;
      case 'mcast-ttl': d.mcastTtl = parseIntRange(s, 1, 255, 'illegal mcast-ttl specified'); return true;
      case 'sync-maxlen': d.syncMaxlen = parseIntRange(s, 1, 65535 - 20 - 8, 'illegal sync-maxlen specified'); return true;
      case 'tun-type':
        if (s !== 'ipip' && s !== 'gue' && s !== 'gre') fail('illegal tunnel type specified');
        this.dest.tunType = s;
        return true;
      case 'tun-port': this.dest.tunPort = parseIntRange(s, 1, 65535, 'illegal tunnel port specified'); return true;
      // tun_flags: nocsum sets it, csum and remcsum add their bit (tunnelOptCheck lets only one through).
      case 'tun-nocsum': this.dest.tunCsum = 'none'; return true;
      case 'tun-csum': this.dest.tunCsum = 'csum'; return true;
      case 'tun-remcsum': this.dest.tunCsum = 'remcsum'; return true;
      default: return false;
    }
  }
}
