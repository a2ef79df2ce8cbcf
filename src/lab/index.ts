// lab/: network-namespace testbeds (the Red Hat guide's LVS-NAT and LVS-DR
// topologies) for the demo, the end-to-end tests and bench/lab.
export { labUp, openLab, Lab, type LabUpOptions, type ExecOptions, type SpawnOptions, type LabProcess } from './lab.js';
export { labDown, type DownReport } from './down.js';
export { labStatus, formatStatus, healthy, type LabStatus, type NamespaceStatus, type ServerStatus } from './status.js';
export { describeLab } from './describe.js';
export { planLab, labMac, labAddr6, LAB_ADDRS, LAB_NETS6, MAX_SERVERS, type LabAddrs6, type LabMode, type LabPlan, type PlanOptions } from './plan.js';
export { labLvsCf } from './lvscf.js';
export { checkLabName, isLabNamespace, nsName, nsPrefix, stateDir, DEFAULT_LAB_NAME, STATE_ROOT } from './names.js';
export { LabError, run, nsRun, netnsList, netnsPids, type RunResult, type RunOptions } from './netns.js';
export { fillPattern, patternByte, patternSha, MAX_BYTES } from './httpd.js';
export type { HttpdKind } from './servers.js';
export type { LabState } from './state.js';
export type { ProcRecord } from './procs.js';
