// The changes whose effect on the data plane stall.bench.ts measures, each made
// the way an operator makes it, through the control API of a router that runs a
// service of N real servers: one add-server per request (tsvs admin -a), a reload
// of lvs.cf with one weight changed (the everyday edit), and a reload that
// replaces every server by another (the largest delta a reload can make).
import { writeFileSync } from 'node:fs';
import { lvsCf, rip, SERVICE, VPORT, type BenchRouter, type CfOptions } from './setup.js';

export interface Scenario {
  name: string;
  /** How many changes of this kind to make. */
  count: number;
  /** Makes the k-th change (0-based) and resolves once the router answered. */
  change(k: number): Promise<void>;
}

export interface ScenarioOptions {
  /** Real servers the service starts with (the lvs.cf the router started on). */
  n: number;
  quick?: boolean;
  cf: Omit<CfOptions, 'count' | 'first' | 'weight'>;
}

/** The lvs.cf the router must start on for these scenarios. */
export function startCf(o: ScenarioOptions): string {
  return lvsCf({ ...o.cf, count: o.n });
}

export function scenarios(r: BenchRouter, o: ScenarioOptions): Scenario[] {
  const { n } = o;
  let added = 0;
  const reload = async (cf: string): Promise<void> => {
    writeFileSync(r.cfg, cf);
    const v = await r.client.reload();
    if (!v.ok) throw new Error(`reload failed: ${v.errors.join('; ')}`);
  };
  return [
    {
      name: `add-server to a ${n}-server service`,
      count: o.quick ? 10 : 50,
      change: async () => {
        const i = 2 * n + added++; // beyond both server sets of the reloads below
        await r.client.change([{ op: 'add-server', service: SERVICE, server: { address: rip(i), port: VPORT }, forward: o.cf.forward, weight: 1 }]);
      },
    },
    {
      // Also drops the servers added above (a reload discards runtime changes).
      name: `reload lvs.cf, ${n} servers, one weight changed`,
      count: o.quick ? 2 : 6,
      change: (k) => reload(lvsCf({ ...o.cf, count: n, weight: (i) => (i === 0 && k % 2 === 0 ? 2 : 1) })),
    },
    {
      name: `reload lvs.cf, all ${n} servers replaced`,
      count: o.quick ? 1 : 4,
      change: (k) => reload(lvsCf({ ...o.cf, count: n, first: k % 2 === 0 ? n : 0 })),
    },
  ];
}
