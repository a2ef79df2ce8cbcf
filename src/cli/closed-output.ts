// When the reader of our stdout or stderr goes away (`tsvs simulate | head -2`),
// writes fail with EPIPE as an 'error' event that nobody handles, and Node
// prints a stack trace. A closed pipe means nobody wants the rest: end quietly
// with status 0, as a command whose reader has had enough. Other errors stay loud.
export function quietOnClosedOutput(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const s of streams) {
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }
}
