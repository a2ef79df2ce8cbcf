// The lab's router process (lab.ts starts it inside the router's namespace with
// `ip netns exec`): the table-change benchmark and the stall benchmark with the
// real worker data plane, rows written to the file the parent named.
import { writeFileSync } from 'node:fs';
import { runChangesBench } from './changes.bench.js';
import type { ChildArgs, ChildResult } from './lab.js';
import { runStallLab } from './stall.bench.js';

const args = JSON.parse(process.argv[2]) as ChildArgs;
const changes = await runChangesBench({ kind: 'worker', quick: args.quick, vipDevice: 'mg', natDevice: 'ms', nat: true });
const stall = [];
for (const pin of [false, true]) stall.push(...(await runStallLab({ quick: args.quick, genNs: args.genNs, genDev: 'g0', genMac: args.genMac, dev: 'mg', devMac: args.devMac, pin })));
writeFileSync(args.out, JSON.stringify({ changes, stall } satisfies ChildResult));
process.exit(0);
