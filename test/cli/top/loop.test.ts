// topMain with a fake control API, fake streams and an injected sleep: no
// real terminal, no waiting.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CONN_SCAN, topMain, type TopLoopOptions } from '../../../src/cli/top/loop.js';
import { ENTER, LEAVE, type TopInput, type TopOutput } from '../../../src/cli/top/terminal.js';
import type { ControlApi, DataPlaneView } from '../../../src/control/types.js';
import { snapshot } from './fixtures.js';

// process.stdout and process.stdin are what the command passes.
const _out: TopOutput = process.stdout;
const _in: TopInput = process.stdin;
void _out, _in;

class FakeOut extends EventEmitter {
  text = '';
  columns: number | undefined = 80;
  rows: number | undefined = 24;
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

class FakeIn extends EventEmitter {
  isTTY = true;
  isRaw = false;
  rawCalls: boolean[] = [];
  paused = true;
  setRawMode(mode: boolean): this {
    this.rawCalls.push(mode);
    this.isRaw = mode;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  pause(): this {
    this.paused = true;
    return this;
  }
}

/** A router whose data plane receives 1000 frames between reads. */
function fakeApi(over: Partial<ControlApi> = {}) {
  const calls = { table: 0, connections: [] as number[] };
  let rx = 0;
  const base = snapshot();
  const api: ControlApi = {
    status: () => Promise.reject(new Error('not used')),
    table: async () => {
      calls.table++;
      return base.table;
    },
    dataplane: async (): Promise<DataPlaneView> => ({ ...base.dataplane, rxFrames: (rx += 1000) }),
    timeouts: async () => base.timeouts,
    connections: async (_offset, limit) => {
      calls.connections.push(limit);
      return base.conns;
    },
    change: () => Promise.reject(new Error('not used')),
    reload: () => Promise.reject(new Error('not used')),
    health: async () => ({ services: [] }),
    forceHealth: () => Promise.reject(new Error('not used')),
    failover: () => Promise.reject(new Error('no backup router')),
    standby: () => Promise.reject(new Error('not used')),
    ...over,
  };
  return { api, calls };
}

function setup(o: Partial<TopLoopOptions> & { onSleep?: (n: number) => void } = {}) {
  const out = new FakeOut();
  const input = new FakeIn();
  const err = new FakeOut();
  const signals = new EventEmitter();
  const sleeps: number[] = [];
  let t = 0;
  const opts: TopLoopOptions = {
    interval: 1,
    tty: true,
    out,
    input,
    err,
    signals,
    now: () => (t += 1000),
    sleep: async (ms) => {
      sleeps.push(ms);
      o.onSleep?.(sleeps.length);
    },
    ...o,
  };
  return { out, input, err, signals, sleeps, opts, exitListeners: process.listenerCount('exit') };
}

/** Everything top took from the terminal is given back. */
function expectRestored(s: ReturnType<typeof setup>): void {
  expect(s.out.text.startsWith(ENTER)).toBe(true);
  expect(s.out.text.endsWith(LEAVE)).toBe(true);
  expect(s.input.rawCalls).toEqual([true, false]);
  expect(s.input.isRaw).toBe(false);
  expect(s.input.paused).toBe(true);
  expect(s.input.listenerCount('data')).toBe(0);
  expect(s.out.listenerCount('resize')).toBe(0);
  expect(s.signals.eventNames()).toEqual([]);
  expect(process.listenerCount('exit')).toBe(s.exitListeners);
}

describe('topMain off a terminal', () => {
  it('prints one plain block per refresh and stops after --iterations', async () => {
    const { api, calls } = fakeApi();
    const s = setup({ tty: false, iterations: 3 });
    expect(await topMain(api, s.opts)).toBe(0);
    const blocks = s.out.text.split('\n\ntsvs top');
    expect(blocks).toHaveLength(3);
    expect(s.out.text).not.toMatch(/\x1b/);
    expect(s.out.text.endsWith('10.0.0.3:80\n')).toBe(true);
    expect(s.sleeps).toEqual([1000, 1000]);
    expect(calls.table).toBe(3);
    expect(calls.connections).toEqual([CONN_SCAN, CONN_SCAN, CONN_SCAN]);
    // The second refresh has a rate: 1000 frames over the fake clock's 1 s.
    expect(blocks[0]).toContain('rx -/s');
    expect(blocks[1]).toContain('rx 1000/s');
    expect(s.input.rawCalls).toEqual([]);
  });

  it('exits 1 with one line on stderr when the router cannot be reached', async () => {
    const { api } = fakeApi({ table: () => Promise.reject(new Error('connect ENOENT /run/tsvs/control.sock')) });
    const s = setup({ tty: false });
    expect(await topMain(api, s.opts)).toBe(1);
    expect(s.err.text).toBe("tsvs top: cannot read the router's state: connect ENOENT /run/tsvs/control.sock\n");
    expect(s.out.text).toBe('');
  });

  it('with --conns 0 reads no connections', async () => {
    const { api, calls } = fakeApi();
    const s = setup({ tty: false, iterations: 1, conns: 0 });
    await topMain(api, s.opts);
    expect(calls.connections).toEqual([]);
  });
});

describe('topMain on a terminal', () => {
  it('draws in the alternate screen, and q gives the terminal back', async () => {
    const { api } = fakeApi();
    const s = setup({ onSleep: (n) => n === 2 && s.input.emit('data', Buffer.from('q')) });
    expect(await topMain(api, s.opts)).toBe(0);
    expectRestored(s);
    // Two screens, each drawn from the top-left corner, with the hint.
    expect(s.out.text.split('\x1b[H')).toHaveLength(3);
    expect(s.out.text).toContain('\x1b[Htsvs top (q quits) - table v12');
  });

  it('Ctrl-C in raw mode (byte 3) quits the same way', async () => {
    const { api } = fakeApi();
    const s = setup({ onSleep: () => s.input.emit('data', '\x03') });
    expect(await topMain(api, s.opts)).toBe(0);
    expectRestored(s);
  });

  it('SIGTERM quits and restores', async () => {
    const { api } = fakeApi();
    const s = setup({ onSleep: () => s.signals.emit('SIGTERM') });
    expect(await topMain(api, s.opts)).toBe(0);
    expectRestored(s);
  });

  it('stops after --iterations on a terminal too', async () => {
    const { api, calls } = fakeApi();
    const s = setup({ iterations: 2 });
    expect(await topMain(api, s.opts)).toBe(0);
    expect(calls.table).toBe(2);
    expectRestored(s);
  });

  it('keeps retrying while the router cannot be reached, showing why', async () => {
    let fail = true;
    const { api, calls } = fakeApi();
    const table = api.table;
    api.table = () => (fail ? (calls.table++, Promise.reject(new Error('connect ECONNREFUSED'))) : table());
    const s = setup({ iterations: 3, onSleep: (n) => n === 2 && (fail = false) });
    expect(await topMain(api, s.opts)).toBe(0);
    const screens = s.out.text.split('\x1b[H').slice(1);
    expect(screens.map((x) => x.startsWith("tsvs top: cannot read the router's state: connect ECONNREFUSED"))).toEqual([true, true, false]);
    expect(screens[0]).toContain('retrying every 1 s; q quits');
    expect(calls.table).toBe(3);
    expectRestored(s);
  });

  it('re-renders at once, at the new size, when the window is resized', async () => {
    const { api, calls } = fakeApi();
    const s = setup({
      onSleep: () => {
        s.out.columns = 40;
        s.out.emit('resize');
        s.input.emit('data', 'q');
      },
    });
    await topMain(api, s.opts);
    const screens = s.out.text.split('\x1b[H').slice(1);
    expect(screens).toHaveLength(2);
    expect(calls.table).toBe(1); // the resize drew the snapshot it had
    const widest = (screen: string) => Math.max(...screen.split('\r\n').map((l) => l.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').length));
    expect(widest(screens[0])).toBe(80);
    expect(widest(screens[1])).toBe(40);
  });

  it('uses 80x24 when the terminal does not say its size', async () => {
    const { api } = fakeApi();
    const s = setup({ iterations: 1 });
    s.out.columns = undefined;
    s.out.rows = undefined;
    await topMain(api, s.opts);
    expect(s.out.text).toContain('Share\x1b[K'); // 80 columns: a 5-wide share column
  });

  it('q works while the router has not answered yet', async () => {
    const { api } = fakeApi({ table: () => new Promise(() => {}) });
    const s = setup();
    setImmediate(() => s.input.emit('data', 'q'));
    expect(await topMain(api, s.opts)).toBe(0);
    expectRestored(s);
  });

  it('an error while drawing still gives the terminal back', async () => {
    const { api } = fakeApi({ table: async () => null as never });
    const s = setup();
    await expect(topMain(api, s.opts)).rejects.toThrow(TypeError);
    expectRestored(s);
  });

  it('an error while redrawing for a resize ends the loop, gives the terminal back and is thrown', async () => {
    const { api } = fakeApi();
    const s = setup({
      onSleep: () => {
        Object.defineProperty(s.out, 'columns', {
          get() {
            throw new RangeError('no size');
          },
        });
        s.out.emit('resize');
      },
    });
    await expect(topMain(api, s.opts)).rejects.toThrow('no size');
    expect(s.input.rawCalls).toEqual([true, false]);
    expect(s.out.text.endsWith(LEAVE)).toBe(true);
    expect(process.listenerCount('exit')).toBe(s.exitListeners);
  });

  it('with stdin not a terminal there is no raw mode to set', async () => {
    const { api } = fakeApi();
    const s = setup({ iterations: 1 });
    s.input.isTTY = false;
    await topMain(api, s.opts);
    expect(s.input.rawCalls).toEqual([]);
    expect(s.out.text.endsWith(LEAVE)).toBe(true);
  });
});
