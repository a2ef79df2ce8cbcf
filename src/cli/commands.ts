// Every command of `tsvs`, in the order `tsvs --help` lists them. To add one,
// define it in its own file (see registry.ts) and list it here.
import { benchSchedCommand } from './bench-sched.js';
import { captureCommand } from './capture.js';
import { checkCommand } from './check.js';
import { adminCommand, topCommand } from './control-commands.js';
import { failoverCommand } from './failover.js';
import { guiCommand, passwdCommand } from './gui.js';
import { healthCommand } from './health.js';
import { demoCommand } from './demo.js';
import { labCommand } from './lab.js';
import { defineGroup, type Command } from './registry.js';
import { replayCommand } from './replay.js';
import { simulateCommand } from './simulate.js';
import { startCommand } from './start.js';

const benchCommand = defineGroup({
  name: 'bench',
  summary: 'benchmarks that ship with tsvs',
  commands: [benchSchedCommand],
});

export const COMMANDS: readonly Command[] = [
  checkCommand,
  replayCommand,
  simulateCommand,
  startCommand,
  adminCommand,
  topCommand,
  healthCommand,
  failoverCommand,
  guiCommand,
  passwdCommand,
  labCommand,
  captureCommand,
  benchCommand,
  demoCommand,
];
