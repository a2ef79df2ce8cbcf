// AfPacketPort.counters(): the addon's per-socket stats summed, which the router's
// data plane publishes (stats file, tsvs top, /metrics). A fake addon stands in
// for the sockets, so this runs without root or a built addon.
import { describe, expect, it } from 'vitest';
import { AfPacketPort } from '../../src/io/afpacket.js';
import type { NativeAddon, SocketHandle } from '../../src/io/native.js';

function fakeAddon(stats: Array<[number, number, number, number, number, string, number]>): NativeAddon {
  let next = 0;
  const handles = new Map<SocketHandle, number>();
  return {
    open: () => {
      const h = { id: next } as unknown as SocketHandle;
      handles.set(h, next++);
      return h;
    },
    ifInfo: () => ({ index: 1, mac: new Uint8Array(6), mtu: 1500 }),
    stats: (h: SocketHandle) => stats[handles.get(h)!],
    close: () => {},
  } as unknown as NativeAddon;
}

describe('AfPacketPort.counters', () => {
  it('sums ring drops, truncated, oversize, unsent and refused sends, and sends that waited, over the devices', () => {
    const port = new AfPacketPort(['eth0', 'eth1'], {}, fakeAddon([[10, 1, 0, 2, 3, 'EMSGSIZE', 6], [5, 0, 4, 0, 1, '', 1]]));
    expect(port.counters()).toMatchObject({ ringDrops: 15, truncated: 1, oversize: 4, txUnsent: 2, txErrors: 4, txWaits: 7 });
    port.close();
    expect(port.counters()).toEqual({ ringDrops: 0, truncated: 0, oversize: 0, txUnsent: 0, txErrors: 0, txWaits: 0, ifRxDropped: 0, ifTxDropped: 0 });
  });
});

describe('AfPacketPort.counters, the devices\' own drops', () => {
  it('reads a device\'s drop counters from sysfs (lo here) and shows what was dropped since the port opened', () => {
    // The fake addon says every device has index 1: lo's, so the sysfs entry is taken as this device's.
    const port = new AfPacketPort(['lo'], {}, fakeAddon([[0, 0, 0, 0, 0, '', 0]]));
    expect(port.counters()).toMatchObject({ ifRxDropped: 0, ifTxDropped: 0 }); // lo's totals, less those at open
    // A port in another namespace cannot read them here: 0, never another device's.
    const other = new AfPacketPort(['lo'], { netns: '/proc/self/ns/net' }, { ...fakeAddon([[0, 0, 0, 0, 0, '', 0]]), netnsEnter: () => -1, netnsLeave: () => {} } as never);
    expect(other.counters()).toMatchObject({ ifRxDropped: 0, ifTxDropped: 0 });
    port.close();
    other.close();
  });

  it('leaves them to one port of a fanout group unless told, so a sum over the group counts each device once', () => {
    const fanout = { group: 7, mode: 'hash' as const };
    const member = new AfPacketPort(['lo'], { fanout }, fakeAddon([[0, 0, 0, 0, 0, '', 0]]));
    const first = new AfPacketPort(['lo'], { fanout, deviceCounters: true }, fakeAddon([[0, 0, 0, 0, 0, '', 0]]));
    expect((member as unknown as { sysfs: boolean }).sysfs).toBe(false);
    expect((first as unknown as { sysfs: boolean }).sysfs).toBe(true);
    member.close();
    first.close();
  });
});
