// `ipvsadm -L` golden text, written by hand from ipvsadm.c's printf formats:
//   title:   "%-33s %8s %8s %8s %8s %8s" (--stats, --rate), "%-33s %-10s %-10s %-10s %-10s" (--thresholds),
//            "%-33s %-9s %-11s %-10s %-10s" (--persistent-conn)
//   service: "%s %s" svc_name (cut at 33), sched [+ " (flags)"] [+ " persistent %u" [+ " mask %s"]] [+ " ops"];
//            "%-33s" + print_largenum x5 (--stats, --rate)
//   server:  "  -> %-28s %-7s %-6d %-10u %-10u" (note the trailing blanks of the last column),
//            "  -> %-28s" + print_largenum x5 (--stats), " %8llu" x3 + print_largenum x2 (--rate),
//            "  -> %-28s %-10u %-10u %-10u %-10u" (--thresholds), "  -> %-28s %-9u %-11u %-10u %-10u" (--persistent-conn),
//            "  -> %-28s %-7s %-13s %-6d %-10u %-10u" (--tun-info)
import { describe, expect, it } from 'vitest';
import { DEFAULT_FORMAT, type ListFormat } from '../../../src/cli/admin/command.js';
import { formatList, formatService } from '../../../src/cli/admin/format-list.js';
import { makeNamer, numericNamer, type Namer } from '../../../src/cli/admin/names.js';
import { fakeNames } from './helpers.js';
import { sampleTable, server, service, table } from './views.js';

const fmt = (more: Partial<ListFormat>): ListFormat => ({ ...DEFAULT_FORMAT, numeric: true, ...more });
const lines = (...l: string[]): string => l.map((x) => `${x}\n`).join('');
const TITLE = 'IP Virtual Server version 1.2.1 (size=4096)';
const HEAD = ['Prot LocalAddress:Port Scheduler Flags', '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn'];

describe('-L -n', () => {
  it('sorts services (fwmark, protocol, address as ipvsadm subtracts it, port) and servers (address, port)', () => {
    expect(formatList(sampleTable(), fmt({}), numericNamer)).toBe(lines(
      TITLE, ...HEAD,
      'TCP  198.18.0.10:80 wlc',
      '  -> 198.19.0.11:80               Masq    1      1          2         ',
      '  -> 198.19.0.12:80               Masq    1      2          0         ',
      '  -> 198.19.0.13:80               Masq    2      3          1234567890',
      // 10.0.0.1 - 198.18.0.10 wraps to a positive int in ipvs_cmp_services, so it comes second.
      'TCP  10.0.0.1:443 rr persistent 60',
      '  -> 10.0.1.1:443                 Tunnel  5      0          0         ',
      'UDP  198.18.0.53:53 sh (sh-port) ops',
      '  -> 198.18.0.54:53               Masq    1      0          0         ',
      'FWM  80 wlc persistent 300 mask 255.255.255.0',
      '  -> 198.18.0.21:0                Route   1      0          0         ',
      '  -> 198.18.0.22:0                Route   2      0          0         ',
    ));
  });

  it('--nosort keeps the API order: services as added, servers newest first', () => {
    const out = formatList(sampleTable(), fmt({ noSort: true }), numericNamer).split('\n');
    expect(out.filter((l) => !l.startsWith('  ->')).slice(2)).toEqual([
      'FWM  80 wlc persistent 300 mask 255.255.255.0',
      'UDP  198.18.0.53:53 sh (sh-port) ops',
      'TCP  198.18.0.10:80 wlc',
      'TCP  10.0.0.1:443 rr persistent 60',
      '',
    ]);
    expect(out.filter((l) => l.startsWith('  -> 198.19')).map((l) => l.slice(5, 19))).toEqual(['198.19.0.13:80', '198.19.0.12:80', '198.19.0.11:80']);
  });

  it('prints the title alone for an empty table, with the API\'s connection table size', () => {
    expect(formatList(table([], 65536), fmt({}), numericNamer)).toBe(lines('IP Virtual Server version 1.2.1 (size=65536)', ...HEAD));
  });

  it('names scheduler flags by bit for the scheduler, and prints "()" when sh has only flag-3', () => {
    const t = table([
      service({ address: '198.18.0.1', port: 1, scheduler: 'mh', schedFlags: ['flag-2', 'mh-fallback'], servers: [] }),
      service({ address: '198.18.0.1', port: 2, scheduler: 'rr', schedFlags: ['flag-3', 'flag-1'], servers: [] }),
      service({ address: '198.18.0.1', port: 3, scheduler: 'sh', schedFlags: ['flag-3'], servers: [] }),
    ]);
    expect(formatList(t, fmt({}), numericNamer).split('\n').slice(3, 6)).toEqual([
      'TCP  198.18.0.1:1 mh (mh-fallback,mh-port)',
      'TCP  198.18.0.1:2 rr (flag-1,flag-3)',
      'TCP  198.18.0.1:3 sh ()',
    ]);
  });

  it('cuts the service column at 33 characters and the server column at 28', () => {
    const long: Namer = { addrPort: () => 'a-very-long-host-name.example.test:http' };
    const t = table([service({ address: '198.18.0.1', port: 80, servers: [server('198.19.0.1', 80)] })]);
    expect(formatList(t, fmt({}), long).split('\n').slice(3, 5)).toEqual([
      'TCP  a-very-long-host-name.exampl wlc',
      '  -> a-very-long-host-name.exampl Masq    1      0          0         ',
    ]);
  });
});

describe('-L without -n', () => {
  it('prints host names and service names where there are any, numbers elsewhere', async () => {
    const t = sampleTable();
    const namer = await makeNamer(false, ['198.18.0.10', '198.19.0.11', '198.19.0.12', '10.0.0.1', '198.18.0.53'], fakeNames());
    expect(formatList(t, fmt({ numeric: false }), namer).split('\n').slice(3, 10)).toEqual([
      'TCP  www.example.test:http wlc',
      '  -> web1.example.test:http       Masq    1      1          2         ',
      '  -> 198.19.0.12:http             Masq    1      2          0         ',
      '  -> 198.19.0.13:http             Masq    2      3          1234567890',
      'TCP  10.0.0.1:https rr persistent 60',
      '  -> 10.0.1.1:https               Tunnel  5      0          0         ',
      'UDP  198.18.0.53:domain sh (sh-port) ops',
    ]);
  });
});

describe('-L -n --stats / --rate / --exact', () => {
  const http = () => sampleTable().services[2];

  it('--stats: print_largenum for services and servers', () => {
    expect(formatService(http(), fmt({ stats: true }), numericNamer)).toBe(lines(
      'Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes',
      '  -> RemoteAddress:Port',
      'TCP  198.18.0.10:80                    300  123456K 99999999    1234G     123T',
      '  -> 198.19.0.11:80                    100  123456K 99999999    1234G     123T',
      '  -> 198.19.0.12:80                      0        0        0        0        0',
      '  -> 198.19.0.13:80                      0        0        0        0        0',
    ));
  });

  it('--stats --exact: whole numbers, each after at least one blank', () => {
    expect(formatService(http(), fmt({ stats: true, exact: true }), numericNamer).split('\n')[2]).toBe(
      'TCP  198.18.0.10:80                    300 123456789 99999999 1234567890123 123456789012345',
    );
  });

  it('--rate: a server\'s CPS, InPPS and OutPPS are never abbreviated', () => {
    expect(formatService(http(), fmt({ rate: true }), numericNamer).split('\n').slice(0, 4)).toEqual([
      'Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS',
      '  -> RemoteAddress:Port',
      'TCP  198.18.0.10:80                      5    1234M        7  999999K     100G',
      '  -> 198.19.0.11:80                      5 1234567890        7  999999K     100G',
    ]);
  });
});

describe('-L -n --thresholds / --persistent-conn / --tun-info', () => {
  it('--thresholds', () => {
    expect(formatService(sampleTable().services[2], fmt({ thresholds: true }), numericNamer)).toBe(lines(
      'Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn ',
      '  -> RemoteAddress:Port',
      'TCP  198.18.0.10:80 wlc',
      '  -> 198.19.0.11:80               0          0          1          2         ',
      '  -> 198.19.0.12:80               100        75         2          0         ',
      '  -> 198.19.0.13:80               0          0          3          1234567890',
    ));
  });

  it('--persistent-conn', () => {
    expect(formatService(sampleTable().services[0], fmt({ persistentConn: true }), numericNamer)).toBe(lines(
      'Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn ',
      '  -> RemoteAddress:Port',
      'FWM  80 wlc persistent 300 mask 255.255.255.0',
      '  -> 198.18.0.21:0                1         4           0          0         ',
      '  -> 198.18.0.22:0                2         0           0          0         ',
    ));
  });

  it('--tun-info: ipip for a tunnel server, n/a otherwise', () => {
    const t = table([service({ address: '198.18.0.1', port: 80, servers: [server('198.19.0.2', 80, { forward: 'tunnel' }), server('198.19.0.1', 80)] })]);
    expect(formatList(t, fmt({ tunInfo: true }), numericNamer).split('\n').slice(1)).toEqual([
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn',
      'TCP  198.18.0.1:80 wlc',
      '  -> 198.19.0.1:80                Masq    n/a           1      0          0         ',
      '  -> 198.19.0.2:80                Tunnel  ipip          1      0          0         ',
      '',
    ]);
  });

  it('--tun-info: gue:PORT:FLAGS and gre:FLAGS as fwd_tun_info prints them (tunflags -c, +c, r+c)', () => {
    const t = table([service({ address: '198.18.0.1', port: 80, servers: [
      server('198.19.0.2', 80, { forward: 'tunnel', tunnelType: 'gue', tunnelPort: 6080, tunnelCsum: 'remcsum' }),
      server('198.19.0.3', 80, { forward: 'tunnel', tunnelType: 'gue', tunnelPort: 5555, tunnelCsum: 'none' }),
      server('198.19.0.4', 80, { forward: 'tunnel', tunnelType: 'gre', tunnelCsum: 'csum' }),
      server('198.19.0.5', 80, { forward: 'tunnel', tunnelType: 'gre', tunnelCsum: 'none' }),
    ] })]);
    expect(formatList(t, fmt({ tunInfo: true }), numericNamer).split('\n').slice(4, 8)).toEqual([
      '  -> 198.19.0.2:80                Tunnel  gue:6080:r+c  1      0          0         ',
      '  -> 198.19.0.3:80                Tunnel  gue:5555:-c   1      0          0         ',
      '  -> 198.19.0.4:80                Tunnel  gre:+c        1      0          0         ',
      '  -> 198.19.0.5:80                Tunnel  gre:-c        1      0          0         ',
    ]);
  });
});
