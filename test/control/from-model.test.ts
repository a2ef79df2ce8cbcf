// tableViewFromModel: a model table as the control API would show it before
// anything has run.
import { describe, expect, it } from 'vitest';
import { tableViewFromModel } from '../../src/control/from-model.js';
import { buildTable, parseIPv4, type RealServer, type VirtualService } from '../../src/model/index.js';

const ip = (s: string) => parseIPv4(s)!;
const rs = (name: string, addr: string, more: Partial<RealServer> = {}): RealServer => ({
  name, address: ip(addr), port: 80, weight: 1, forward: 'nat', upperThreshold: 0, lowerThreshold: 0, ...more,
});
const base: Omit<VirtualService, 'name' | 'servers'> = {
  protocol: 'tcp', address: ip('198.18.0.10'), port: 80, fwmark: 0, scheduler: 'wlc', schedFlags: [], persistence: 0, persistMask: 0xffffffff, onePacket: false,
};

describe('tableViewFromModel', () => {
  const view = tableViewFromModel(buildTable({
    services: [
      { ...base, name: 'http', servers: [rs('web1', '198.19.0.11'), rs('web2', '198.19.0.12', { weight: 3, upperThreshold: 9 }), rs('web3', '198.19.0.13')] },
      { ...base, name: 'mark', protocol: 'udp', address: 0, port: 0, fwmark: 7, scheduler: 'sh', schedFlags: ['sh-port'], persistence: 60, persistMask: ip('255.255.255.0'), onePacket: true, servers: [] },
    ],
  }));

  it('lists servers in reverse file order: IPVS puts each new server at the head', () => {
    expect(view.services[0].servers.map((s) => s.name)).toEqual(['web3', 'web2', 'web1']);
  });

  it('writes addresses and masks as text, ids as the API names services, and zero counters', () => {
    expect(view.services.map((s) => [s.id, s.name, s.address, s.persistMask])).toEqual([
      ['tcp-198.18.0.10-80', 'http', '198.18.0.10', '255.255.255.255'],
      ['fwm-7', 'mark', '0.0.0.0', '255.255.255.0'],
    ]);
    expect(view.services[1]).toMatchObject({ protocol: 'udp', fwmark: 7, scheduler: 'sh', schedFlags: ['sh-port'], persistence: 60, onePacket: true });
    expect(view.services[0].servers[1]).toEqual({
      name: 'web2', address: '198.19.0.12', port: 80, forward: 'nat', weight: 3, upperThreshold: 9, lowerThreshold: 0,
      activeConns: 0, inactiveConns: 0, persistConns: 0,
      stats: { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 }, rates: { cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 },
    });
    expect(view.connTabSize).toBe(4096);
  });
});
