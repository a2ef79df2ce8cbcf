// `tsvs check -c FILE`: parse and compile an lvs.cf without running anything.
// On success it prints the table the file builds, in the `ipvsadm -L -n` layout,
// then each key that is present but not acted on yet; on failure every error of
// the file as `file:line: CODE: message`. The CLI only wires this to argv.
import { readFileSync } from 'node:fs';
import { compileLvsCf } from './compile.js';
import { ConfigError, ConfigErrors } from './errors.js';
import { formatList } from './ipvsadm-format.js';
import { parseLvsCf } from './lvscf-parse.js';

export interface CheckResult {
  ok: boolean;
  output: string;
}

export function checkFile(path: string): CheckResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    return { ok: false, output: `${new ConfigError('READ', path, 0, `cannot read the file (${why})`)}\n` };
  }
  return checkText(text, path);
}

/** checkFile on text already read (for the web tool and tests). */
export function checkText(text: string, file: string): CheckResult {
  try {
    const { table, notActedOn } = compileLvsCf(parseLvsCf(text, file));
    let output = formatList(table);
    if (notActedOn.length) {
      output += `\nNot yet acted on (${notActedOn.length}):\n`;
      output += notActedOn.map((n) => `${n.file}:${n.line} ${n.key}: ${n.why}\n`).join('');
    }
    return { ok: true, output };
  } catch (e) {
    if (!(e instanceof ConfigErrors)) throw e;
    return { ok: false, output: e.errors.map((x) => `${x}\n`).join('') };
  }
}
