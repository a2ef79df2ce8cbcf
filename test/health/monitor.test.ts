import { afterEach, describe, expect, it } from 'vitest';
import { HealthMonitor, type HealthUpdate } from '../../src/health/monitor.js';
import { config, FakeClock, fakeDeps, ScriptedProbe, server, SERVICE } from './helpers.js';

const monitors: HealthMonitor[] = [];
afterEach(async () => {
  for (const m of monitors.splice(0)) await m.stop();
});

function setup(extra: Parameters<typeof fakeDeps>[2] = {}) {
  const clock = new FakeClock();
  const probe = new ScriptedProbe();
  const f = fakeDeps(clock, probe, extra);
  const m = new HealthMonitor(f.deps);
  monitors.push(m);
  return { clock, probe, m, ...f };
}

const addr = (i: number): number => (198 << 24 >>> 0) + (19 << 16) + 10 + i;
const verdictsOf = (applied: HealthUpdate[]) => applied.flatMap((u) => u.verdicts);

describe('HealthMonitor', () => {
  it('takes a failing server out within fall x interval, logging as nanny, and brings it back when it passes', async () => {
    const { clock, probe, m, applied, log } = setup();
    m.configure(config([server(1, { t: { interval: 2, fall: 2 } }), server(2)]));
    m.start();
    probe.results.set('198.19.0.11:80', false);
    await clock.advance(1000); // first round: jitter of up to 1 s (random 0.5 -> 500 ms)
    expect(applied).toEqual([]);
    await clock.advance(2000);
    expect(verdictsOf(applied)).toEqual([{ service: SERVICE, address: addr(1), port: 80, verdict: { up: false, quiesce: false } }]);
    expect(log.lines.filter((l) => l.includes('shutting down'))).toEqual([
      `warn shutting down 198.19.0.11:80 due to connection failure {"service":"${SERVICE}","reason":"connection refused","quiesce":false}`,
    ]);
    probe.results.set('198.19.0.11:80', true);
    await clock.advance(2000);
    expect(verdictsOf(applied).at(-1)).toEqual({ service: SERVICE, address: addr(1), port: 80, verdict: null });
    expect(log.lines.some((l) => l.startsWith('info making 198.19.0.11:80 available'))).toBe(true);
  });

  it('servers that fail together reach the router as one update', async () => {
    const { clock, probe, m, applied } = setup();
    m.configure(config([server(1), server(2), server(3)]));
    m.start();
    for (const i of [1, 2, 3]) probe.results.set(`198.19.0.${10 + i}:80`, false);
    await clock.advance(600);
    expect(applied.length).toBe(1);
    expect(applied[0].verdicts.map((v) => v.address)).toEqual([addr(1), addr(2), addr(3)]);
  });

  it('sorry server: in (weight 1) when the last server goes down, out when the first returns; quorum commands run', async () => {
    const { clock, probe, m, applied, ran, log } = setup();
    const sorry = { address: '198.19.0.99', port: 80 };
    const init = m.configure(config([server(1), server(2)], { sorryServer: sorry, quorumDown: 'down.sh', quorumUp: 'up.sh' }));
    expect(init.overlays).toEqual([{ service: SERVICE, overlay: null }]);
    m.start();
    probe.results.set('198.19.0.11:80', false);
    await clock.advance(600);
    expect(applied.flatMap((u) => u.overlays)).toEqual([]);
    probe.results.set('198.19.0.12:80', false);
    await clock.advance(2000);
    expect(applied.flatMap((u) => u.overlays)).toEqual([{ service: SERVICE, overlay: { sorry: { address: addr(89), port: 80 }, suspended: true } }]);
    expect(ran).toEqual(['down.sh']);
    expect(log.lines.some((l) => l.startsWith('warn no real servers up; activating the sorry server'))).toBe(true);
    probe.results.set('198.19.0.12:80', true);
    await clock.advance(2000);
    expect(applied.flatMap((u) => u.overlays).at(-1)).toEqual({ service: SERVICE, overlay: null });
    expect(ran).toEqual(['down.sh', 'up.sh']);
    expect(m.view()[0].sorryActive).toBe(false);
  });

  it('quorum with hysteresis: lost below quorum - hysteresis, regained only at quorum + hysteresis', async () => {
    const { clock, probe, m } = setup();
    m.configure(config([1, 2, 3, 4].map((i) => server(i)), { quorum: 3, hysteresis: 1 }));
    m.start();
    const down = async (i: number, ok: boolean) => {
      probe.results.set(`198.19.0.${10 + i}:80`, ok);
      await clock.advance(2000);
    };
    await down(1, false); // 3 up: quorum holds
    await down(2, false); // 2 up: 2 >= 3 - 1 holds
    expect(m.view()[0].quorumUp).toBe(true);
    await down(3, false); // 1 up < 2: lost
    expect(m.view()[0].quorumUp).toBe(false);
    await down(3, true); // 2 up
    await down(2, true); // 3 up < 3 + 1: still lost
    expect(m.view()[0].quorumUp).toBe(false);
    await down(1, true); // 4 up: regained
    expect(m.view()[0].quorumUp).toBe(true);
  });

  it('quorum follows weights through a forced drain, a forced down and a reload that changes weights and servers', async () => {
    const { clock, m } = setup();
    m.configure(config([server(1, { weight: 2 }), server(2, { weight: 1 })], { quorum: 3 }));
    m.start();
    await clock.advance(2000);
    expect(m.view()[0].quorumUp).toBe(true); // 2 + 1
    await m.force(SERVICE, '198.19.0.11', 80, 'drain');
    expect(m.view()[0].quorumUp).toBe(false); // 0 + 1
    await m.force(SERVICE, '198.19.0.11', 80, null);
    expect(m.view()[0].quorumUp).toBe(true);
    await m.force(SERVICE, '198.19.0.12', 80, 'down');
    expect(m.view()[0].quorumUp).toBe(false); // 2 + 0
    await m.force(SERVICE, '198.19.0.12', 80, null);
    expect(m.view()[0].quorumUp).toBe(true);
    // Server 2 leaves while serving: the next round counts server 1's 2 alone, not 2 + a gone server's 1.
    m.configure(config([server(1, { weight: 2 })], { quorum: 3 }));
    await clock.advance(2000);
    expect(m.view()[0].quorumUp).toBe(false);
    m.configure(config([server(1, { weight: 4 })], { quorum: 3 }));
    await clock.advance(2000);
    expect(m.view()[0].quorumUp).toBe(true);
  });

  it('a reload keeps the state of servers that stay (no flap) and starts new alpha servers down', async () => {
    const { clock, probe, m, applied } = setup();
    m.configure(config([server(1), server(2)]));
    m.start();
    probe.results.set('198.19.0.12:80', false);
    await clock.advance(600);
    const before = applied.length;
    const u = m.configure(config([server(1), server(2), server(3, { t: { alpha: true } })]));
    expect(u.verdicts).toEqual([
      { service: SERVICE, address: addr(1), port: 80, verdict: null },
      { service: SERVICE, address: addr(2), port: 80, verdict: { up: false, quiesce: false } },
      { service: SERVICE, address: addr(3), port: 80, verdict: { up: false, quiesce: false } },
    ]);
    await clock.advance(600); // server 3's first round passes (rise 1)
    expect(verdictsOf(applied.slice(before))).toEqual([{ service: SERVICE, address: addr(3), port: 80, verdict: null }]);
  });

  it('forcing a passing server down takes it out; giving it back to its checks brings it back', async () => {
    const { clock, m, applied } = setup();
    m.configure(config([server(1)]));
    m.start();
    await clock.advance(600);
    const v = await m.force(SERVICE, '198.19.0.11', 80, 'down');
    expect(v.serving).toBe(false);
    expect(verdictsOf(applied)).toEqual([{ service: SERVICE, address: addr(1), port: 80, verdict: { up: false, quiesce: false } }]);
    await clock.advance(4000); // its checks pass, the force holds
    expect(verdictsOf(applied).length).toBe(1);
    await m.force(SERVICE, '198.19.0.11', 80, null);
    expect(verdictsOf(applied).at(-1)?.verdict).toBeNull();
    await expect(m.force(SERVICE, '198.19.0.77', 80, 'up')).rejects.toThrow(/no checked real server 198.19.0.77:80/);
  });

  it('retries a failed attempt `retry` times, delay_before_retry apart, before the round fails', async () => {
    const { clock, probe, m, applied } = setup();
    m.configure(config([server(1, { t: { retry: 2, delayBeforeRetry: 1 } })]));
    m.start();
    probe.results.set('198.19.0.11:80', false);
    await clock.advance(500);
    expect(probe.calls).toBe(1);
    await clock.advance(1000);
    expect(probe.calls).toBe(2);
    expect(applied).toEqual([]);
    await clock.advance(1000);
    expect(probe.calls).toBe(3);
    expect(verdictsOf(applied).length).toBe(1);
  });

  it('runs at most maxConcurrent rounds at once', async () => {
    const { clock, probe, m } = setup({ maxConcurrent: 3 });
    m.configure(config(Array.from({ length: 20 }, (_, i) => server(i))));
    probe.hold = true;
    m.start();
    await clock.advance(1000);
    expect(probe.inFlight).toBe(3);
    for (let k = 0; k < 10; k++) {
      probe.release();
      await clock.advance(10);
    }
    expect(probe.maxInFlight).toBe(3);
    expect(probe.calls).toBeGreaterThanOrEqual(20);
  });

  it('warmup spreads the first round over its window', async () => {
    const { clock, probe, m } = setup({ random: () => 0.75 });
    m.configure(config([server(1, { t: { warmup: 8 } })]));
    m.start();
    await clock.advance(5999);
    expect(probe.calls).toBe(0);
    await clock.advance(1);
    expect(probe.calls).toBe(1);
  });

  it('notify_up and notify_down run on changes of the checked state, with %h and %p substituted', async () => {
    const { clock, probe, m, ran } = setup();
    m.configure(config([server(1, { t: { notifyUp: 'up %h:%p', notifyDown: 'down %h' } })]));
    m.start();
    probe.results.set('198.19.0.11:80', false);
    await clock.advance(600);
    probe.results.set('198.19.0.11:80', true);
    await clock.advance(2000);
    expect(ran).toEqual(['down 198.19.0.11', 'up 198.19.0.11:80']);
  });

  it('a checker that dies stops the router with hard_shutdown = 1, and only logs with 0', async () => {
    for (const hard of [true, false]) {
      const dead: string[] = [];
      const { clock, m, log } = setup({ probe: () => Promise.reject(new Error('boom')), onDead: (why) => dead.push(why) });
      m.configure(config([server(1)], {}, hard));
      m.start();
      await clock.advance(600);
      expect(dead).toEqual(hard ? ['the health checker of 198.19.0.11:80 (TCP 198.18.0.10:80) failed: boom'] : []);
      expect(log.lines.some((l) => l.startsWith('error the health checker of 198.19.0.11:80'))).toBe(true);
    }
  });

  it("load_monitor: every max(interval, 20 s) the server's load moves its weight; a tool that does not answer is logged once and changes nothing", async () => {
    const outputs: Record<string, string> = { 'rup 198.19.0.11': 'rs1 up 2 days, load average: 0.00, 0.01, 0.02', 'rup 198.19.0.12': 'rup: RPC: Program not registered' };
    const cmds: string[] = [];
    const { clock, m, applied, log } = setup({ readLoad: async (cmd) => (cmds.push(cmd), outputs[cmd]) });
    const lm = { tool: 'rup' as const, rsh: 'rsh' };
    m.configure(config([server(1, { weight: 8, loadMonitor: lm }), server(2, { weight: 8, loadMonitor: lm })]));
    m.start();
    await clock.advance(19_000);
    expect(cmds).toEqual([]);
    await clock.advance(1_000);
    expect(cmds.sort()).toEqual(['rup 198.19.0.11', 'rup 198.19.0.12']);
    expect(verdictsOf(applied)).toEqual([{ service: SERVICE, address: addr(1), port: 80, verdict: { up: true, weight: 12 } }]);
    await clock.advance(20_000);
    expect(verdictsOf(applied).at(-1)).toEqual({ service: SERVICE, address: addr(1), port: 80, verdict: { up: true, weight: 16 } });
    expect(log.lines.filter((l) => l.includes('load monitor: no load from 198.19.0.12:80'))).toHaveLength(1);
  });

  it('stop() ends every timer', async () => {
    const { clock, m } = setup();
    m.configure(config([server(1), server(2)]));
    m.start();
    await clock.advance(3000);
    await m.stop();
    expect(clock.pending).toBe(0);
  });
});
