// `ipvsadm -L -c` golden text from print_conn() / list_conn():
//   "IPVS connection entries"
//   "pro expire %-11s %-18s %-18s %s" [with --persistent-conn: "... %-18s %-16s %s" + pe name, pe_data]
//   "%-3s %-6s %-11s %-18s %-18s %s" per connection, expiry as "%02d:%02d"
import { describe, expect, it } from 'vitest';
import { formatConns } from '../../../src/cli/admin/format-conn.js';
import { makeNamer, numericNamer } from '../../../src/cli/admin/names.js';
import type { ConnView } from '../../../src/control/types.js';
import { fakeNames } from './helpers.js';

const conn = (c: Partial<ConnView>): ConnView => ({
  protocol: 'TCP', client: '198.18.1.1', clientPort: 40000, virtual: '198.18.0.10', virtualPort: 80, dest: '198.19.0.11', destPort: 80,
  state: 'ESTABLISHED', expires: 899, template: false, forward: 'nat', ...c,
});

const CONNS = [
  conn({}),
  conn({ protocol: 'UDP', client: '198.18.1.2', clientPort: 5353, virtual: '198.18.0.53', virtualPort: 53, dest: '198.18.0.54', destPort: 53, state: 'UDP', expires: 245 }),
  // A firewall-mark persistence template: protocol IP, the mark written as an address.
  conn({ protocol: 'IP', client: '198.18.1.0', clientPort: 0, virtual: '0.0.0.80', virtualPort: 0, dest: '198.18.0.21', destPort: 0, state: 'NONE', expires: 6000, template: true, forward: 'dr' }),
  conn({ state: 'TIME_WAIT', clientPort: 40001, expires: 0 }),
];

describe('-L -c', () => {
  it('-n', () => {
    expect(formatConns(CONNS, false, numericNamer)).toBe([
      'IPVS connection entries',
      'pro expire state       source             virtual            destination',
      'TCP 14:59  ESTABLISHED 198.18.1.1:40000   198.18.0.10:80     198.19.0.11:80',
      'UDP 04:05  UDP         198.18.1.2:5353    198.18.0.53:53     198.18.0.54:53',
      'IP  100:00 NONE        198.18.1.0:0       0.0.0.80:0         198.18.0.21:0',
      'TCP 00:00  TIME_WAIT   198.18.1.1:40001   198.18.0.10:80     198.19.0.11:80',
      '',
    ].join('\n'));
  });

  it('--persistent-conn adds the pe columns to the header only (no tsvs connection has pe data)', () => {
    expect(formatConns(CONNS.slice(0, 1), true, numericNamer)).toBe([
      'IPVS connection entries',
      'pro expire state       source             virtual            destination        pe name          pe_data',
      'TCP 14:59  ESTABLISHED 198.18.1.1:40000   198.18.0.10:80     198.19.0.11:80',
      '',
    ].join('\n'));
  });

  it('without -n: names for TCP and UDP ports, numbers for a template\'s', async () => {
    const namer = await makeNamer(false, CONNS.flatMap((c) => [c.client, c.virtual, c.dest]), fakeNames());
    expect(formatConns(CONNS.slice(0, 3), false, namer).split('\n').slice(2, 5)).toEqual([
      'TCP 14:59  ESTABLISHED 198.18.1.1:40000   www.example.test:http web1.example.test:http',
      'UDP 04:05  UDP         198.18.1.2:5353    198.18.0.53:domain 198.18.0.54:domain',
      'IP  100:00 NONE        198.18.1.0:0       0.0.0.80:0         198.18.0.21:0',
    ]);
  });
});
