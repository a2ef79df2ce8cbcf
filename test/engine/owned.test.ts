// OwnedAddresses: the per-packet "is this one of the router's addresses?" set.
import { describe, expect, it } from 'vitest';
import { OwnedAddresses } from '../../src/engine/owned.js';
import { ip } from './helpers.js';

describe('OwnedAddresses', () => {
  it('maps each owned address to its interface and nothing else', () => {
    const owned = new OwnedAddresses([[ip('198.18.0.10'), 0], [ip('198.19.0.1'), 1], [ip('255.255.255.254'), 3]]);
    expect([owned.get(ip('198.18.0.10')), owned.get(ip('198.19.0.1')), owned.get(ip('255.255.255.254'))]).toEqual([0, 1, 3]);
    expect(owned.has(ip('198.18.0.10'))).toBe(true);
    for (const other of ['198.18.0.11', '198.19.0.2', '0.0.0.0', '255.255.255.255', '10.0.0.1']) {
      expect(owned.has(ip(other))).toBe(false);
      expect(owned.get(ip(other))).toBe(-1);
    }
  });

  it('takes addresses above 2^31 as uint32 or int32', () => {
    const owned = new OwnedAddresses([[ip('198.18.0.10') | 0, 2]]);
    expect(owned.get(ip('198.18.0.10'))).toBe(2);
    expect(owned.get(ip('198.18.0.10') | 0)).toBe(2);
  });

  it('finds every one of many addresses, whatever their probe collisions', () => {
    const addrs = Array.from({ length: 1000 }, (_, i) => ip('198.18.0.0') + i * 257);
    const owned = new OwnedAddresses(addrs.map((a, i) => [a, i % 7] as const));
    addrs.forEach((a, i) => expect(owned.get(a)).toBe(i % 7));
    for (let i = 0; i < 1000; i++) expect(owned.has(ip('198.18.0.1') + i * 257)).toBe(false);
  });

  it('never owns 0.0.0.0, and an empty set owns nothing', () => {
    expect(new OwnedAddresses([[0, 0]]).has(0)).toBe(false);
    expect(new OwnedAddresses([]).has(ip('198.18.0.10'))).toBe(false);
  });
});
