import { describe, expect, it } from 'vitest';
import { unreachableChecks } from '../../src/router/preflight.js';
import { parseIPv4 } from '../../src/model/index.js';
import { config, server } from '../health/helpers.js';

const net = (s: string): [number, number] => {
  const [a, len] = s.split('/');
  return [parseIPv4(a)!, Number(len)];
};

describe('unreachableChecks', () => {
  it('names checked servers no kernel route covers, and only those', () => {
    const cfg = config([server(1), server(2), { ...server(3), address: '198.20.0.5' }, { ...server(4), address: '198.21.0.5', checks: [] }]);
    expect(unreachableChecks(cfg, [net('198.19.0.0/24')])).toMatch(/^health checks cannot reach 198\.20\.0\.5: the router's own network stack has no route/);
    expect(unreachableChecks(cfg, [net('198.19.0.0/24'), net('198.20.0.0/16')])).toBeNull();
  });

  it('a default route reaches everything', () => {
    expect(unreachableChecks(config([server(1)]), [[0, 0]])).toBeNull();
  });

  it('lists five and counts the rest', () => {
    const cfg = config(Array.from({ length: 8 }, (_, i) => server(i)));
    expect(unreachableChecks(cfg, [])).toMatch(/^health checks cannot reach 198\.19\.0\.10, 198\.19\.0\.11, 198\.19\.0\.12, 198\.19\.0\.13, 198\.19\.0\.14 and 3 more:/);
  });
});
