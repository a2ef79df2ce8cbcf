// TableView fixtures for the formatter tests, written out by hand.
import type { ServerView, ServiceView, TableView } from '../../../src/control/types.js';

const zero = () => ({ conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 });
const zeroRates = () => ({ cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 });

export function server(address: string, port: number, more: Partial<ServerView> = {}): ServerView {
  return {
    name: address, address, port, forward: 'nat', weight: 1, upperThreshold: 0, lowerThreshold: 0,
    activeConns: 0, inactiveConns: 0, persistConns: 0, stats: zero(), rates: zeroRates(), ...more,
  };
}

export function service(more: Partial<ServiceView> & Pick<ServiceView, 'servers'>): ServiceView {
  const s = {
    id: '', name: '', protocol: 'tcp' as const, address: '0.0.0.0', port: 0, fwmark: 0, scheduler: 'wlc', schedFlags: [],
    persistence: 0, persistMask: '255.255.255.255', onePacket: false, stats: zero(), rates: zeroRates(), ...more,
  };
  return { ...s, id: s.fwmark ? `fwm-${s.fwmark}` : `${s.protocol}-${s.address}-${s.port}` };
}

export function table(services: ServiceView[], connTabSize = 4096): TableView {
  return { version: 7, services, stats: zero(), rates: zeroRates(), connTabSize };
}

/**
 * Four services in the order they were added, servers newest first (IPVS's
 * list order), and counters on the HTTP service to exercise every number width.
 */
export function sampleTable(): TableView {
  return table([
    service({
      fwmark: 80, persistence: 300, persistMask: '255.255.255.0',
      servers: [server('198.18.0.22', 0, { forward: 'dr', weight: 2 }), server('198.18.0.21', 0, { forward: 'dr', persistConns: 4 })],
    }),
    service({
      protocol: 'udp', address: '198.18.0.53', port: 53, scheduler: 'sh', schedFlags: ['sh-port'], onePacket: true,
      servers: [server('198.18.0.54', 53)],
    }),
    service({
      address: '198.18.0.10', port: 80,
      stats: { conns: 300, inPkts: 123456789, outPkts: 99999999, inBytes: 1234567890123, outBytes: 123456789012345 },
      rates: { cps: 5, inPps: 1234567890, outPps: 7, inBps: 999999999, outBps: 100000000000 },
      servers: [
        server('198.19.0.13', 80, { weight: 2, activeConns: 3, inactiveConns: 1234567890 }),
        server('198.19.0.12', 80, { activeConns: 2, upperThreshold: 100, lowerThreshold: 75 }),
        server('198.19.0.11', 80, {
          activeConns: 1, inactiveConns: 2,
          stats: { conns: 100, inPkts: 123456789, outPkts: 99999999, inBytes: 1234567890123, outBytes: 123456789012345 },
          rates: { cps: 5, inPps: 1234567890, outPps: 7, inBps: 999999999, outBps: 100000000000 },
        }),
      ],
    }),
    service({
      address: '10.0.0.1', port: 443, scheduler: 'rr', persistence: 60,
      servers: [server('10.0.1.1', 443, { forward: 'tunnel', weight: 5, upperThreshold: 10 })],
    }),
  ]);
}
