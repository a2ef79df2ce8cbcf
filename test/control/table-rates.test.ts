// The estimator's keys for a table: fed from statsOf, read back by withRates.
import { describe, expect, it } from 'vitest';
import { Estimator } from '../../src/control/estimator.js';
import { serverKey, statsOf, TOTAL_KEY, withRates } from '../../src/control/table-rates.js';
import { table } from './fixtures.js';

describe('table-rates', () => {
  it('names the totals, each service and each real server of it', () => {
    expect([...statsOf(table())].map(([k]) => k)).toEqual([
      TOTAL_KEY,
      'tcp-198.18.0.10-80',
      'tcp-198.18.0.10-80 10.0.0.3:80',
      'tcp-198.18.0.10-80 10.0.0.2:80',
      'fwm-1',
      'fwm-1 10.0.0.4:0',
    ]);
  });

  it('fills every rates field from the estimator, leaving the table it was given alone', () => {
    const est = new Estimator();
    const t0 = table();
    est.tick(0, () => statsOf(t0));
    const t1 = table();
    t1.stats = { ...t1.stats, conns: t1.stats.conns + 2000 };
    const rs2 = t1.services[0].servers[1];
    rs2.stats = { ...rs2.stats, conns: rs2.stats.conns + 2000 };
    est.tick(2000, () => statsOf(t1));
    const out = withRates(est, t1);
    expect(out.rates.cps).toBe(250);
    expect(out.services[0].rates.cps).toBe(0);
    expect(out.services[0].servers.map((s) => s.rates.cps)).toEqual([0, 250]);
    expect(est.read(serverKey('tcp-198.18.0.10-80', '10.0.0.2', 80)).cps).toBe(250);
    expect(t1.rates.cps).toBe(50); // the fixture's own figure
  });
});
