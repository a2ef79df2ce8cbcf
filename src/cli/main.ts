#!/usr/bin/env node
// The tsvs command: a thin entry point. The commands are in commands.ts; the
// registry (registry.ts, run.ts) parses arguments, prints help and usage
// errors, and sets the exit status: 0 ok, 1 failure, 2 usage.
import { COMMANDS } from './commands.js';
import { runCli } from './run.js';

// Exit once the command is done: a closed capture or router can leave native
// handles (libpcap, uv_poll) behind. stdout and stderr are synchronous on Linux.
runCli(COMMANDS, process.argv.slice(2)).then((code) => process.exit(code));
