import { describe, expect, it } from 'vitest';
import { ServerHealth } from '../../src/health/state.js';
import { NANNY, server } from './helpers.js';

const ok = { ok: true, detail: 'ok' };
const bad = { ok: false, detail: 'connection refused' };

describe('ServerHealth', () => {
  it('starts up and goes down after `fall` failed rounds in a row; a good round between resets the count', () => {
    const h = new ServerHealth(server(1, { t: { fall: 3 } }), 0);
    expect(h.serving).toBe(true);
    expect(h.record(bad, 1)).toBeNull();
    expect(h.record(bad, 2)).toBeNull();
    expect(h.record(ok, 3)).toBeNull();
    expect(h.record(bad, 4)).toBeNull();
    expect(h.record(bad, 5)).toBeNull();
    expect(h.record(bad, 6)).toEqual({ to: 'down', reason: 'connection refused' });
    expect(h.verdict()).toEqual({ up: false, quiesce: false });
    expect(h.lastChange).toEqual({ at: 6, to: 'down', reason: 'connection refused' });
  });

  it('comes back after `rise` good rounds in a row', () => {
    const h = new ServerHealth(server(1, { t: { rise: 2 } }), 0);
    h.record(bad, 1);
    expect(h.record(ok, 2)).toBeNull();
    expect(h.record(bad, 3)).toBeNull();
    expect(h.record(ok, 4)).toBeNull();
    expect(h.record(ok, 5)).toEqual({ to: 'up', reason: '2 checks passed' });
    expect(h.verdict()).toBeNull();
  });

  it('nanny: comes back after reentry / interval good rounds, then slow-starts from weight >> 5, doubling every max(interval, 20 s)', () => {
    const h = new ServerHealth(server(1, { checks: [NANNY], weight: 64, reentry: 30, t: { interval: 10 } }), 0);
    h.record(bad, 0);
    expect(h.riseNeeded).toBe(3);
    h.record(ok, 10_000);
    h.record(ok, 20_000);
    expect(h.serving).toBe(false);
    expect(h.record(ok, 30_000)).toEqual({ to: 'up', reason: 'passed for 30 s (3 checks)' });
    expect(h.verdict()).toEqual({ up: true, weight: 2 });
    const seen: number[] = [];
    for (let t = 30_000; t <= 200_000; t += 10_000) if (h.tick(t)) seen.push(h.weight);
    expect(seen).toEqual([4, 8, 16, 32, 64]);
    expect(h.verdict()).toBeNull();
  });

  it('nanny with reentry shorter than the interval needs one good round', () => {
    const h = new ServerHealth(server(1, { checks: [NANNY], reentry: 5, t: { interval: 10 } }), 0);
    h.record(bad, 0);
    expect(h.riseNeeded).toBe(1);
  });

  it('nanny adds a new server (alpha) at its first pass; reentry counts only after it has failed', () => {
    const h = new ServerHealth(server(1, { checks: [NANNY], reentry: 30, t: { interval: 10, alpha: true } }), 0);
    expect(h.serving).toBe(false);
    expect(h.record(ok, 1)).toEqual({ to: 'up', reason: '1 check passed' });
  });

  it('alpha: a server starts down and out of service until it passes', () => {
    const h = new ServerHealth(server(1, { t: { alpha: true, rise: 2 } }), 0);
    expect(h.serving).toBe(false);
    expect(h.verdict()).toEqual({ up: false, quiesce: false });
    h.record(ok, 1);
    expect(h.record(ok, 2)?.to).toBe('up');
  });

  it('inhibit_on_failure (quiesce_server): down means weight 0, kept in the table', () => {
    const h = new ServerHealth(server(1, { t: { inhibitOnFailure: true } }), 0);
    h.record(bad, 1);
    expect(h.verdict()).toEqual({ up: false, quiesce: true });
  });

  it('forced down while its checks pass, forced up while they fail, drained to weight 0; null gives it back to its checks', () => {
    const h = new ServerHealth(server(1, { weight: 5 }), 0);
    h.force = 'down';
    h.record(ok, 1);
    expect(h.verdict()).toEqual({ up: false, quiesce: false });
    h.force = 'up';
    h.record(bad, 2);
    expect(h.state).toBe('down');
    expect(h.verdict()).toBeNull();
    h.force = null;
    expect(h.verdict()).toEqual({ up: false, quiesce: false });
  });

  it('drained: a passing server keeps weight 0 (its connections finish); a failing one still goes down', () => {
    const h = new ServerHealth(server(1, { weight: 5 }), 0);
    h.force = 'drain';
    h.record(ok, 1);
    expect(h.verdict()).toEqual({ up: true, weight: 0 });
    h.record(bad, 2);
    expect(h.verdict()).toEqual({ up: false, quiesce: false });
  });

  it('a dynamic check sets the running weight', () => {
    const h = new ServerHealth(server(1, { weight: 10 }), 0);
    h.record({ ok: true, detail: 'exit 5', weight: 3 }, 1);
    expect(h.verdict()).toEqual({ up: true, weight: 3 });
  });

  it('a server without checks is always up', () => {
    const h = new ServerHealth(server(1, { checks: [], t: { alpha: true } }), 0);
    expect(h.serving).toBe(true);
    expect(h.verdict()).toBeNull();
  });
});
