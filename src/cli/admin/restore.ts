// `-R`: rules read from stdin, one ipvsadm command line per line.
//
// Lines are split as config_stream_read() (ipvsadm's config_stream.c) splits
// them: tokens are separated by blanks, tabs and carriage returns, a newline
// ends the line, and every token that is exactly "ipvsadm" is dropped, so a
// line may begin with the program's name. There is no quoting. There are no
// comments either: config_stream.c looks for '#' in the one whitespace
// character that follows each token, where it can never be, so a "#" line
// reaches the option parser like any other (and is refused there).
//
// tsvs is stricter than ipvsadm in one way: ipvsadm runs each line as it reads
// it, so a bad line 40 leaves lines 1-39 applied. tsvs parses every line
// first and sends all their Ops as ONE change, applied atomically as one
// table version: a bad line, or a change the router refuses, changes nothing.
// The error printed is the one ipvsadm prints for that line.
import type { Op } from '../../control/types.js';
import { parseAdmin, type ParseContext } from './args.js';
import { AdminError } from './errors.js';
import { FUNC_OF_OP, ipvsStrerror } from './strerror.js';

export function restoreLines(text: string): string[][] {
  return text.split('\n').map((line) => line.split(/[ \t\r]+/).filter((t) => t !== '' && t !== 'ipvsadm'));
}

/** Every line's Ops, in order; throws the first line's AdminError. */
export async function parseRestore(text: string, ctx: ParseContext): Promise<Op[]> {
  const ops: Op[] = [];
  for (const argv of restoreLines(text)) {
    if (argv.length === 0) continue;
    const cmd = await parseAdmin(argv, { ...ctx, readingStdin: true });
    if (cmd.kind !== 'change') {
      // ipvsadm would list, save, print help (and stop there) or start a
      // daemon in the middle of a restore; one atomic change cannot.
      throw new AdminError(`${ctx.program}: -R applies its lines as one change, and "${argv.join(' ')}" is not a change\n`, 2);
    }
    if (cmd.refuse) throw new AdminError(`${ipvsStrerror(FUNC_OF_OP[cmd.ops[0].op], cmd.refuse)}\n`, 255);
    ops.push(...cmd.ops);
  }
  return ops;
}
