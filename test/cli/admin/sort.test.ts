// libipvs's sort: int-wrapping comparators under glibc's merge sort.
import { describe, expect, it } from 'vitest';
import { cmpDests, ipv4Number, qsort } from '../../../src/cli/admin/sort.js';
import { server } from './views.js';

const order = (addrs: string[]) => qsort(addrs.map((a) => server(a, 80)), cmpDests).map((d) => d.address);

describe('ipvs_cmp_dests under qsort', () => {
  it('sorts addresses less than 2^31 apart by number, then ports', () => {
    const ds = [server('198.19.0.12', 81), server('198.19.0.12', 80), server('198.19.0.2', 80)];
    expect(qsort(ds, cmpDests).map((d) => `${d.address}:${d.port}`)).toEqual(['198.19.0.2:80', '198.19.0.12:80', '198.19.0.12:81']);
  });

  it('puts 10.0.0.1 after 192.168.0.1: the unsigned difference wraps to a positive int', () => {
    expect(order(['10.0.0.1', '192.168.0.1'])).toEqual(['192.168.0.1', '10.0.0.1']);
  });

  it('orders a cycle (10 < 100 < 192 < 10) as glibc\'s merge sort does, which depends on the input order', () => {
    expect(order(['10.0.0.1', '100.0.0.1', '192.0.0.1'])).toEqual(['10.0.0.1', '100.0.0.1', '192.0.0.1']);
    expect(order(['192.0.0.1', '100.0.0.1', '10.0.0.1'])).toEqual(['192.0.0.1', '10.0.0.1', '100.0.0.1']);
  });

  it('reads dotted quads as unsigned numbers', () => {
    expect(ipv4Number('255.255.255.255')).toBe(0xffffffff);
    expect(ipv4Number('10.0.0.1')).toBe(0x0a000001);
  });
});
