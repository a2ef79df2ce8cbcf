// Runs the benchmarks and prints each as a table (and JSON under bench/results).
//   npm run bench             all
//   npm run bench -- engine   one group; --quick for a short smoke run
//   npm run bench -- engine6  the engine's IPv6 rows beside the IPv4 ones, same run
//   npm run bench -- control  table changes and data plane stalls (--inline: no lab even as root)
//   npm run bench -- health   10,000 real servers checked every 2 s: control plane CPU, check
//                             latency, failure detection, the data plane's rate meanwhile (root)
//   npm run bench -- ha       two routers: takeover and failback as a client sees them (root)
//   npm run bench -- ha-vrrp  the same with failover = vrrp (tsvs lab up nat --ha --vrrp) (root)
//   npm run bench -- sync     connection sync: the master's packet-path cost, resync, what a backup absorbs
//   npm run bench -- big      1,000 services x 10,000 real servers: start-up, SIGHUP reloads, the data plane's longest pause (root)
//   npm run bench -- workers  tsvs start --workers 1 and 2: 64-byte UDP from 128 client addresses, rate and CPU per packet (root)
//   npm run bench -- workers-balance  the same schedulers with per-worker state (1, 2, 4 workers): balance, simulated
//   npm run bench -- restart  kill -9 of the router, started again as systemd does (RestartSec 200 ms): time to serving (root)
//   npm run bench -- auth     ha_key_file's seal and open per heartbeat and per sync message
//   npm run bench -- ftp      FTP data through the FTP helper (passive, active) against plain TCP, vsftpd in the lab (root)
//   npm run bench -- synflood a 133 k SYN/s spoofed flood into a 10,000-entry table (engine alone, simulated
//                             clock): legitimate connections that got through, per defence setting
//   npm run bench -- fuzz     ten million mutated frames through the engine: rate, verdicts, no exception
//   npm run bench -- synflood-lab  the same end to end in a NAT lab: a raw-socket flood at the highest rate
//                             it reaches, a client timing new connections meanwhile, per setting (root)
import { runControlBench } from './control/control.bench.js';
import { runAllocAb } from './engine/alloc-ab.js';
import { runEngineBench, runMemoryBench } from './engine/engine.bench.js';
import { report } from './lib/report.js';
import { runForwardBench } from './io/forward.bench.js';
import { runSchedBench } from './sched/decisions.bench.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.filter((a) => !a.startsWith('--'));
const want = (name: string): boolean => only.length === 0 || only.includes(name);

if (want('engine')) report('engine: 64-byte frames, one thread', runEngineBench({ quick }));
if (want('engine6')) report('engine: IPv6 beside IPv4, smallest TCP frames, one thread', (await import('./engine/v6.bench.js')).runEngineBench6({ quick }));
if (want('alloc')) report('engine A/B: counters in private vs shared memory (ratio = shared / private)', runAllocAb({ quick }));
if (want('memory')) report('engine: connection table memory', runMemoryBench({ quick }));
if (want('sched')) report('sched: decisions per second (benchmark package)', runSchedBench({ quick }));
if (want('io')) report('io: forwarding 64-byte frames through a namespace', runForwardBench({ quick }));
if (want('calls')) report('calls: one call into the packet addon, empty ring / empty batch, port of two devices', (await import('./io/calls.bench.js')).runCallBench({ quick }));
if (want('lab')) report('lab: tsvs vs kernel NAT vs HAProxy', await (await import('./lab/lab.bench.js')).runLabBench({ quick }));
if (want('control')) for (const t of await runControlBench({ quick, inline: args.includes('--inline') })) report(t.title, t.rows);
if (want('ha')) report('ha: takeover and failback, two routers (tsvs lab up nat --ha), SIGKILL of the primary', await (await import('./ha/takeover.bench.js')).runTakeoverBench({ quick }));
if (want('ha-vrrp')) report('ha-vrrp: takeover and preempting return, two routers electing by VRRP (tsvs lab up nat --ha --vrrp), SIGKILL of the primary', await (await import('./ha/takeover.bench.js')).runTakeoverBench({ quick, vrrp: true }));
if (want('sync')) report('sync: connection sync in one process (one thread, no sockets)', (await import('./ha/sync.bench.js')).runSyncBench({ quick }));
if (want('auth')) report('auth: ha_key_file envelope (HMAC-SHA256) per message', (await import('./ha/auth.bench.js')).runAuthBench({ quick }));
if (want('fuzz')) report('fuzz: mutated frames through the engine (seeded; test/engine/fuzz.test.ts runs a million in CI)', (await import('./engine/fuzz.js')).runFuzzBench({ quick }));
if (want('synflood')) report('synflood: 133 k spoofed SYN/s into a 10,000-entry table, a legitimate handshake every 10 ms (engine alone)', (await import('./engine/synflood.bench.js')).runSynFloodBench({ quick }));
if (want('ftp')) report('ftp: 50 MiB through the NAT router, FTP data (vsftpd, curl) against an HTTP body (tsvs lab up nat)', await (await import('./lab/ftp.bench.js')).runFtpBench({ quick }));
if (want('synflood-lab')) report('synflood-lab: spoofed SYNs at the VIP from the client namespace, as fast as they go, into a 10,000-entry table; a new legitimate connection every 20 ms (tsvs lab up nat)', await (await import('./reliability/synflood-lab.js')).runSynFloodLabBench({ quick }));
if (want('health')) for (const t of await (await import('./health/health.bench.js')).runHealthBench({ quick })) report(t.title, t.rows);
if (want('big')) report('big: 1,000 virtual services x 10,000 NAT real servers, start and SIGHUP under traffic (tsvs lab up nat)', await (await import('./reliability/big.bench.js')).runBigConfigBench({ quick }));
if (want('workers')) report('workers: 64-byte UDP from 128 client addresses through the NAT router, tsvs start --workers N (tsvs lab up nat, generator on the last CPU)', await (await import('./lab/workers.bench.js')).runWorkersBench({ quick }));
if (want('workers-balance')) report('workers-balance: per-worker scheduler state, N workers fed by the fanout hash from 1,000 clients; servers weighted 1,2,3,4 (simulated)', (await import('./sched/workers-balance.js')).runWorkersBalance({ quick }));
if (want('restart')) report('restart: kill -9 of the router, then tsvs start again after 200 ms (the systemd unit\'s RestartSec)', await (await import('./reliability/restart.bench.js')).runRestartBench({ quick }));
