// The health bench's processes in the router's namespace (health.bench.ts starts
// them there with `ip netns exec`: Node cannot enter a namespace): one monitor
// configuration alone (variant.ts), or the router with its worker data plane and
// the monitor together (dataplane.ts). Rows go to the file the parent named.
import { writeFileSync } from 'node:fs';
import { runDataPlaneLab, type DataPlaneArgs } from './dataplane.js';
import { runVariant, type VariantArgs } from './variant.js';

export type ChildArgs = ({ mode: 'monitor' } & VariantArgs) | ({ mode: 'dataplane' } & DataPlaneArgs);

const args = JSON.parse(process.argv[2]) as ChildArgs & { out: string };
const result = args.mode === 'monitor' ? await runVariant(args) : await runDataPlaneLab(args);
writeFileSync(args.out, JSON.stringify(result));
process.exit(0);
