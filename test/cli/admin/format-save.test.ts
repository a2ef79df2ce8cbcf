// `ipvsadm -S` golden text from ipvsadm.c's FMT_RULE printf formats:
//   service: "-A %s -s %s" [+ " -p %u" [+ " -M %s"]] [+ " -o"] [+ " -b flags"]
//   server:  "-a %s -r %s %s -w %d"; a tunnel server adds " --tun-type ipip" (print_tunnel_rule)
//   tsvs appends " -x N" / " -y N" when thresholds are set.
import { describe, expect, it } from 'vitest';
import { formatSave } from '../../../src/cli/admin/format-save.js';
import { makeNamer, numericNamer } from '../../../src/cli/admin/names.js';
import { fakeNames } from './helpers.js';
import { sampleTable, server, service, table } from './views.js';

describe('-S', () => {
  it('-n: one rule per service and server, in the listing\'s order', () => {
    expect(formatSave(sampleTable(), numericNamer)).toBe([
      '-A -t 198.18.0.10:80 -s wlc',
      '-a -t 198.18.0.10:80 -r 198.19.0.11:80 -m -w 1',
      '-a -t 198.18.0.10:80 -r 198.19.0.12:80 -m -w 1 -x 100 -y 75',
      '-a -t 198.18.0.10:80 -r 198.19.0.13:80 -m -w 2',
      '-A -t 10.0.0.1:443 -s rr -p 60',
      '-a -t 10.0.0.1:443 -r 10.0.1.1:443 -i -w 5 --tun-type ipip -x 10',
      '-A -u 198.18.0.53:53 -s sh -o -b sh-port',
      '-a -u 198.18.0.53:53 -r 198.18.0.54:53 -m -w 1',
      '-A -f 80 -s wlc -p 300 -M 255.255.255.0',
      '-a -f 80 -r 198.18.0.21:0 -g -w 1',
      '-a -f 80 -r 198.18.0.22:0 -g -w 2',
      '',
    ].join('\n'));
  });

  it('without -n: names, as ipvsadm -S prints them', async () => {
    const namer = await makeNamer(false, ['198.18.0.10', '198.19.0.11'], fakeNames());
    expect(formatSave(sampleTable(), namer).split('\n').slice(0, 2)).toEqual([
      '-A -t www.example.test:http -s wlc',
      '-a -t www.example.test:http -r web1.example.test:http -m -w 1',
    ]);
  });

  it("tunnel servers: print_tunnel_rule's --tun-type gue --tun-port N --tun-CSUM and --tun-type gre --tun-CSUM", () => {
    const t = table([service({ address: '198.18.0.1', port: 80, servers: [
      server('198.19.0.2', 80, { forward: 'tunnel', tunnelType: 'gue', tunnelPort: 6080, tunnelCsum: 'remcsum' }),
      server('198.19.0.3', 80, { forward: 'tunnel', tunnelType: 'gre', tunnelCsum: 'none' }),
      server('198.19.0.4', 80, { forward: 'tunnel', tunnelType: 'gre', tunnelCsum: 'csum' }),
    ] })]);
    expect(formatSave(t, numericNamer).split('\n').slice(1, 4)).toEqual([
      '-a -t 198.18.0.1:80 -r 198.19.0.2:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-remcsum',
      '-a -t 198.18.0.1:80 -r 198.19.0.3:80 -i -w 1 --tun-type gre --tun-nocsum',
      '-a -t 198.18.0.1:80 -r 198.19.0.4:80 -i -w 1 --tun-type gre --tun-csum',
    ]);
  });

  it('prints nothing for an empty table (no title in FMT_RULE)', () => {
    expect(formatSave(table([]), numericNamer)).toBe('');
  });
});
