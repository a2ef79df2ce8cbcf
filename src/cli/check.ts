// tsvs check -c lvs.cf: validate a Piranha lvs.cf (config/check.ts) and print
// the table it builds, or every error as file:line: CODE: message (status 1).
import { checkFile } from '../config/check.js';
import { defineCommand, EXIT_FAILURE, EXIT_OK } from './registry.js';

export const checkCommand = defineCommand({
  name: 'check',
  summary: 'validate an lvs.cf and print the table it builds (ipvsadm -L -n layout)',
  description: 'Validates a Piranha lvs.cf: prints every error as file:line: CODE: message (exit status 1),\n' +
    'or the table it would build in the ipvsadm -L -n layout and the keys it parsed but does not act on yet.',
  options: {
    config: { type: 'string', short: 'c', arg: 'FILE', required: true, help: 'the lvs.cf to check' },
  },
  run({ values, io }) {
    const res = checkFile(values.config);
    const text = res.output.endsWith('\n') ? res.output : res.output + '\n';
    if (res.ok) io.out(text);
    else io.err(text);
    return res.ok ? EXIT_OK : EXIT_FAILURE;
  },
});
