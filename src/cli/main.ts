#!/usr/bin/env node
// The tsvs command: a thin entry point. The commands are in commands.ts; the
// registry (registry.ts, run.ts) parses arguments, prints help and usage
// errors, and sets the exit status: 0 ok, 1 failure, 2 usage.
import { quietOnClosedOutput } from './closed-output.js';
import { COMMANDS } from './commands.js';
import { runCli } from './run.js';

/**
 * Resolves once what was written to `s` has been handed to the OS, or the
 * reader is gone. Writes to a pipe are synchronous only while the pipe has
 * room: past its 64 KiB the rest is queued, and process.exit() would drop it
 * (`tsvs admin -L -n -c | grep ...` lost every line past the first 64 KiB).
 */
function drained(s: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (s.writableLength === 0) return resolve();
    s.once('error', () => resolve());
    s.write('', () => resolve());
  });
}

quietOnClosedOutput();

// Exit once the command is done: a closed capture or router can leave native
// handles (libpcap, uv_poll) behind.
runCli(COMMANDS, process.argv.slice(2)).then(async (code) => {
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
});
