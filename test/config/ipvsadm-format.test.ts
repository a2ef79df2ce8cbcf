// Golden output written by hand from ipvsadm.c's printf formats:
//   service: "%s %s" (svc_name, sched) [+ " (flags)"] [+ " persistent %u" [+ " mask %s"]] [+ " ops"]
//   dest:    "  -> %-28s %-7s %-6d %-10u %-10u\n"   (note the trailing blanks of the last column)
//   save:    "-A %s -s %s" [-p %u [-M %s]] [-o] [-b flags] / "-a %s -r %s %s -w %d"
import { describe, expect, it } from 'vitest';
import { formatList, formatSave, schedFlagNames } from '../../src/config/index.js';
import { buildTable, parseIPv4, type RealServer, type VirtualService } from '../../src/model/index.js';

const ip = (s: string) => parseIPv4(s)!;
const rs = (name: string, addr: string, port: number, weight: number, forward: RealServer['forward'], more: Partial<RealServer> = {}): RealServer => ({
  name, address: ip(addr), port, weight, forward, upperThreshold: 0, lowerThreshold: 0, ...more,
});
const base: Omit<VirtualService, 'name' | 'servers'> = {
  protocol: 'tcp', address: 0, port: 0, fwmark: 0, scheduler: 'wlc', schedFlags: [], persistence: 0, persistMask: 0xffffffff, onePacket: false,
};

// Listed out of ipvsadm's order on purpose: the output must be sorted.
const table = buildTable({
  services: [
    { ...base, name: 'web-mark', fwmark: 80, persistence: 300, persistMask: ip('255.255.255.0'), servers: [rs('b', '198.18.0.22', 0, 2, 'dr'), rs('a', '198.18.0.21', 0, 1, 'dr')] },
    { ...base, name: 'dns', protocol: 'udp', address: ip('198.18.0.53'), port: 53, scheduler: 'sh', schedFlags: ['sh-port'], onePacket: true, servers: [rs('ns', '198.18.0.54', 53, 1, 'nat')] },
    {
      ...base, name: 'http', address: ip('198.18.0.10'), port: 80,
      servers: [rs('web3', '198.19.0.13', 80, 2, 'nat'), rs('web1', '198.19.0.11', 80, 1, 'nat'), rs('web2', '198.19.0.12', 80, 1, 'nat')],
    },
  ],
});

describe('formatList (ipvsadm -L -n)', () => {
  it('prints a NAT service with 3 servers, a UDP ops service and a persistent fwmark service with mask', () => {
    const counts = (svc: number, server: number) => ({ active: svc * 10 + server, inactive: server === 0 ? 1234567890 : 3 });
    expect(formatList(table, counts)).toBe(
      [
        'IP Virtual Server version 1.2.1 (size=4096)',
        'Prot LocalAddress:Port Scheduler Flags',
        '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
        'TCP  198.18.0.10:80 wlc',
        '  -> 198.19.0.11:80               Masq    1      21         3         ',
        '  -> 198.19.0.12:80               Masq    1      22         3         ',
        '  -> 198.19.0.13:80               Masq    2      20         1234567890',
        'UDP  198.18.0.53:53 sh (sh-port) ops',
        '  -> 198.18.0.54:53               Masq    1      10         1234567890',
        'FWM  80 wlc persistent 300 mask 255.255.255.0',
        '  -> 198.18.0.21:0                Route   1      1          3         ',
        '  -> 198.18.0.22:0                Route   2      0          1234567890',
        '',
      ].join('\n'),
    );
  });

  it('prints zero counts without a counter, tunnel as Tunnel, and no mask for /32', () => {
    const t = buildTable({
      services: [{ ...base, name: 'x', address: ip('198.18.0.10'), port: 443, persistence: 60, servers: [rs('t', '198.18.1.1', 443, 5, 'tunnel')] }],
    });
    expect(formatList(t).split('\n').slice(3)).toEqual([
      'TCP  198.18.0.10:443 wlc persistent 60',
      '  -> 198.18.1.1:443               Tunnel  5      0          0         ',
      '',
    ]);
  });

  it('prints only the titles for an empty table', () => {
    expect(formatList(buildTable({ services: [] }))).toBe(
      'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n',
    );
  });
});

describe('formatSave (ipvsadm -S -n)', () => {
  it('prints rules in the listing order', () => {
    expect(formatSave(table)).toBe(
      [
        '-A -t 198.18.0.10:80 -s wlc',
        '-a -t 198.18.0.10:80 -r 198.19.0.11:80 -m -w 1',
        '-a -t 198.18.0.10:80 -r 198.19.0.12:80 -m -w 1',
        '-a -t 198.18.0.10:80 -r 198.19.0.13:80 -m -w 2',
        '-A -u 198.18.0.53:53 -s sh -o -b sh-port',
        '-a -u 198.18.0.53:53 -r 198.18.0.54:53 -m -w 1',
        '-A -f 80 -s wlc -p 300 -M 255.255.255.0',
        '-a -f 80 -r 198.18.0.21:0 -g -w 1',
        '-a -f 80 -r 198.18.0.22:0 -g -w 2',
        '',
      ].join('\n'),
    );
  });

  it('adds -x/-y only when thresholds are set, and -i for tunnels', () => {
    const t = buildTable({
      services: [{ ...base, name: 'x', address: ip('198.18.0.10'), port: 80, servers: [rs('a', '198.18.1.1', 80, 1, 'tunnel', { upperThreshold: 100, lowerThreshold: 75 })] }],
    });
    expect(formatSave(t)).toBe('-A -t 198.18.0.10:80 -s wlc\n-a -t 198.18.0.10:80 -r 198.18.1.1:80 -i -w 1 -x 100 -y 75\n');
    expect(formatSave(buildTable({ services: [] }))).toBe('');
  });
});

describe('schedFlagNames', () => {
  it("names the flag bits for the service's scheduler, as ipvsadm does", () => {
    expect(schedFlagNames({ scheduler: 'sh', schedFlags: ['sh-port', 'sh-fallback'] })).toEqual(['sh-fallback', 'sh-port']);
    expect(schedFlagNames({ scheduler: 'mh', schedFlags: ['flag-1', 'flag-3'] })).toEqual(['mh-fallback', 'flag-3']);
    expect(schedFlagNames({ scheduler: 'rr', schedFlags: ['flag-2'] })).toEqual(['flag-2']);
  });
});
