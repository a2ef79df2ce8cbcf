// Schedulers black-box through `tsvs simulate`: an lvs.cf, a trace of opens,
// and the real servers the engine chose. lvsd adds the servers in file order and
// IPVS puts each new one at the head of the list, so the list is C, B, A.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { simulate } from '../../src/cli/simulate.js';

const dir = mkdtempSync(join(tmpdir(), 'tsvs-simsched-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(scheduler: string, weights: number[], extra = ''): string {
  const servers = weights
    .map((w, i) => `    server ${'ABCDE'[i]} {\n        address = 198.19.0.${11 + i}\n        active = 1\n        weight = ${w}\n    }`)
    .join('\n');
  const text = `network = nat\nnat_router = 198.19.0.1 eth1:0\nnat_nmask = 255.255.255.0\nvirtual web {\n    active = 1\n    address = 198.18.0.10 eth0:1\n    port = 80\n    scheduler = ${scheduler}\n${extra}${servers}\n}\n`;
  const path = join(dir, `${scheduler}-${weights.join('')}-${extra.length}.cf`);
  writeFileSync(path, text);
  return path;
}

async function picks(cfg: string, clients: Array<[string, number]>, close = false): Promise<string> {
  const lines = clients.map(([ip, port], k) => `${k} open tcp ${ip}:${port} 198.18.0.10:80${close ? `\n${k}.5 close tcp ${ip}:${port} 198.18.0.10:80` : ''}`);
  const trace = join(dir, `t${Math.random().toString(36).slice(2)}.trace`);
  writeFileSync(trace, lines.join('\n') + '\n');
  const out: string[] = [];
  await simulate({ config: cfg, trace, out: (l) => out.push(l) });
  return out.filter((l) => !l.startsWith('#')).map((l) => 'ABCDE'[Number(l.split('-> 198.19.0.')[1].split(':')[0]) - 11]).join('');
}

const many = (n: number, base = 1): Array<[string, number]> => Array.from({ length: n }, (_, k) => [`198.18.1.${base + (k % 200)}`, 1000 + k]);

describe('schedulers through tsvs simulate', () => {
  it('rr walks the list from its head: C B A C B A', async () => {
    expect(await picks(config('rr', [1, 1, 1]), many(6))).toBe('CBACBA');
  });

  it('wrr with weights 4,3,2 (list C2 B3 A4) gives ip_vs_wrr.c\'s order', async () => {
    // mw = 4, di = 1: cw 4 -> A; cw 3 -> B A; cw 2 -> C B A; cw 1 -> C B A; then again.
    expect(await picks(config('wrr', [4, 3, 2]), many(18))).toBe('ABACBACBA'.repeat(2));
  });

  it('lc and wlc spread open connections by least overhead, ties to the list head', async () => {
    expect(await picks(config('lc', [1, 1, 1]), many(6))).toBe('CBACBA');
    // wlc, weights A1 B1 C2: C, B, A (overhead 0 each), then C again (1/2 < 1/1).
    expect(await picks(config('wlc', [1, 1, 2]), many(4))).toBe('CBAC');
  });

  it('fo sends everything to the highest weight', async () => {
    expect(await picks(config('fo', [1, 5, 2]), many(5))).toBe('BBBBB');
  });

  it('sh keeps a client address on one server; sh-port spreads its ports', async () => {
    const one = Array.from({ length: 12 }, (_, k): [string, number] => ['198.18.1.7', 2000 + k]);
    const sh = await picks(config('sh', [1, 1, 1]), one);
    expect(new Set(sh).size).toBe(1);
    const shPort = await picks(config('sh', [1, 1, 1], '    scheduler_flags = sh-port\n'), one);
    expect(new Set(shPort).size).toBeGreaterThan(1);
  });

  it('dh keeps one virtual address on one server (one VIP here: one server)', async () => {
    expect(new Set(await picks(config('dh', [1, 1, 1]), many(10))).size).toBe(1);
  });

  it('mh: a client address keeps its server across connections, and clients spread over all servers', async () => {
    const cfg = config('mh', [1, 1, 1]);
    const a = await picks(cfg, Array.from({ length: 5 }, (_, k): [string, number] => ['198.18.3.9', 3000 + k]));
    expect(new Set(a).size).toBe(1);
    const spread = await picks(cfg, Array.from({ length: 300 }, (_, k): [string, number] => [`198.18.${4 + (k >> 8)}.${k & 255}`, 4000]));
    for (const s of 'ABC') expect(spread.split(s).length - 1).toBeGreaterThan(60);
  });
});
