// Runs `tsvs admin` as ipvsadm (so messages name "ipvsadm") against a fake
// router and captures what it prints and returns.
import { adminMain } from '../../../src/cli/admin/run.js';
import type { ControlApi } from '../../../src/control/types.js';
import { fakeNames } from './helpers.js';

export interface RunResult {
  code: number;
  out: string;
  err: string;
}

/** Runs `tsvs admin` on a command line split at blanks (or given as a list). */
export async function run(args: string | string[], api: ControlApi, stdin = '', pageSize?: number): Promise<RunResult> {
  let out = '';
  let err = '';
  const argv = typeof args === 'string' ? args.split(' ').filter((a) => a !== '') : args;
  const code = await adminMain(argv, api, { stdout: (s) => (out += s), stderr: (s) => (err += s), stdin: async () => stdin }, { names: fakeNames(), program: 'ipvsadm', pageSize });
  return { code, out, err };
}
