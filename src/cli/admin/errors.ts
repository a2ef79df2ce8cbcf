// How `tsvs admin` stops: ipvsadm's fail(err, msg) prints msg and a newline on
// stderr and exits with err; tryhelp_exit prints the "Try ... -h" line and
// exits with -1 (status 255). AdminError carries that exact text and status.

export class AdminError extends Error {
  constructor(
    /** What goes to stderr, with its trailing newline. */
    readonly stderr: string,
    /** The exit status ipvsadm would return. */
    readonly status: number,
  ) {
    super(stderr.trimEnd());
    this.name = 'AdminError';
  }
}

/** fail(2, ...): every argument mistake ipvsadm catches itself exits 2. */
export function fail(message: string): never {
  throw new AdminError(`${message}\n`, 2);
}

/** tryhelp_exit(argv[0], -1): exit(-1) is status 255. */
export function tryHelp(program: string): never {
  throw new AdminError(`Try \`${program} -h' or '${program} --help' for more information.\n`, 255);
}
