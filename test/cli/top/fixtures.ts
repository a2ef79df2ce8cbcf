// Snapshots for the `tsvs top` tests: the control tests' table and data
// plane, a few connections, and the default timeouts (ipvsadm --timeout: 900 120 300).
import type { ConnView } from '../../../src/control/types.js';
import type { TopSnapshot } from '../../../src/cli/top/render.js';
import { dataplane, table } from '../../control/fixtures.js';

export function conn(client: string, clientPort: number, over: Partial<ConnView> = {}): ConnView {
  return {
    protocol: 'TCP',
    client,
    clientPort,
    virtual: '198.18.0.10',
    virtualPort: 80,
    dest: '10.0.0.3',
    destPort: 80,
    state: 'ESTABLISHED',
    expires: 890,
    template: false,
    forward: 'nat',
    ...over,
  };
}

export function snapshot(at = 1000, over: Partial<TopSnapshot> = {}): TopSnapshot {
  return {
    at,
    table: table(),
    dataplane: dataplane(),
    timeouts: { tcp: 900, tcpfin: 120, udp: 300 },
    conns: {
      total: 45,
      offset: 0,
      conns: [
        conn('10.9.0.7', 40001, { expires: 600 }), // idle 300 s
        conn('10.9.0.5', 51234, { expires: 899 }), // idle 1 s
        conn('10.9.0.6', 51000, { state: 'SYN_RECV', expires: 59 }), // a handshake: not listed
        conn('10.9.0.8', 0, { protocol: 'TCP', state: 'NONE', template: true, expires: 280, virtual: '0.0.0.1', virtualPort: 0, dest: '10.0.0.4', destPort: 0 }),
        conn('10.9.0.9', 5353, { protocol: 'UDP', state: 'UDP', expires: 295, virtual: '198.18.0.10', virtualPort: 53, dest: '10.0.0.2', destPort: 53 }), // idle 5 s
      ],
    },
    ...over,
  };
}
