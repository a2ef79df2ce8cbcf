// The part of popt (popt.c, poptGetNextOpt) that ipvsadm's option table uses,
// so that `tsvs admin` splits argv exactly as ipvsadm 1.31 does:
//   - "--name" and "--name=value" are long options, matched by their whole name
//     (popt has no abbreviations);
//   - "-abc" is a cluster of short options; an option that takes a value takes
//     the rest of the cluster ("-t1.2.3.4:80", "-s=rr" drops one '='), or else
//     the next argv element, whatever it looks like ("-t -L" gives "-L");
//   - an OPTIONAL value (ipvsadm's -p) is the next element only when that does
//     not begin with '-' (popt's POPT_ARGFLAG_OPTIONAL check);
//   - "-" alone, and anything not beginning with '-', is a leftover argument
//     wherever it stands; after "--" everything is a leftover.
// Aliases, exec and "!#:+" expansion (which ipvsadm never configures or
// documents) are left out.

/** none: a switch; value: takes one; optional: takes one only if the next element does not begin with '-'. */
export type ArgKind = 'none' | 'value' | 'optional';

export interface PoptOption<V> {
  long?: string;
  short?: string;
  arg: ArgKind;
  val: V;
}

/** popt's error codes (popt.h) for the three mistakes its scanner can report. */
export const POPT_ERROR_NOARG = -10;
export const POPT_ERROR_BADOPT = -11;
export const POPT_ERROR_UNWANTEDARG = -12;

/** poptStrerror() for those codes. */
export function poptStrerror(code: number): string {
  if (code === POPT_ERROR_NOARG) return 'missing argument';
  if (code === POPT_ERROR_BADOPT) return 'unknown option';
  if (code === POPT_ERROR_UNWANTEDARG) return 'option does not take an argument';
  return 'unknown error';
}

export type PoptResult<V> = { val: V; arg: string | null } | { error: number } | 'end';

export class Popt<V> {
  private next = 0;
  /** The rest of a short-option cluster still to read (popt's nextCharArg). */
  private charArg: string | null = null;
  private rest = false;
  private readonly leftovers: string[] = [];
  private nextLeftover = 0;

  /** argv without the program name (popt skips argv[0]). */
  constructor(
    private readonly argv: readonly string[],
    private readonly table: readonly PoptOption<V>[],
  ) {}

  getNextOpt(): PoptResult<V> {
    for (;;) {
      let opt: PoptOption<V> | undefined;
      let longArg: string | null = null;
      if (this.charArg === null) {
        if (this.next >= this.argv.length) return 'end';
        const s = this.argv[this.next++];
        if (this.rest || s[0] !== '-' || s === '-') {
          this.leftovers.push(s);
          continue;
        }
        if (s === '--') {
          this.rest = true;
          continue;
        }
        const doubleDash = s[1] === '-';
        const body = s.slice(doubleDash ? 2 : 1);
        const eq = body.indexOf('=');
        if (doubleDash) {
          const name = eq < 0 ? body : body.slice(0, eq);
          if (eq >= 0) longArg = body.slice(eq + 1);
          opt = this.table.find((o) => o.long === name);
          if (!opt) return { error: POPT_ERROR_BADOPT };
        } else {
          // A single dash could name a POPT_ARGFLAG_ONEDASH long option; ipvsadm
          // has none, so it is always a cluster of short options.
          this.charArg = body;
        }
      }
      if (this.charArg !== null) {
        const c = this.charArg[0];
        const restOfCluster = this.charArg.slice(1);
        this.charArg = null;
        opt = this.table.find((o) => o.short === c);
        if (!opt) return { error: POPT_ERROR_BADOPT };
        if (restOfCluster !== '') this.charArg = restOfCluster;
      }
      if (!opt) return { error: POPT_ERROR_BADOPT };
      if (opt.arg === 'none') {
        if (longArg !== null || (this.charArg !== null && this.charArg[0] === '=')) return { error: POPT_ERROR_UNWANTEDARG };
        return { val: opt.val, arg: null };
      }
      return this.valueFor(opt, longArg);
    }
  }

  private valueFor(opt: PoptOption<V>, longArg: string | null): PoptResult<V> {
    if (longArg !== null) return { val: opt.val, arg: longArg };
    if (this.charArg !== null) {
      const arg = this.charArg[0] === '=' ? this.charArg.slice(1) : this.charArg;
      this.charArg = null;
      return { val: opt.val, arg };
    }
    if (this.next >= this.argv.length) {
      if (opt.arg !== 'optional') return { error: POPT_ERROR_NOARG };
      return { val: opt.val, arg: null };
    }
    if (opt.arg === 'optional' && this.argv[this.next][0] === '-') return { val: opt.val, arg: null };
    return { val: opt.val, arg: this.argv[this.next++] };
  }

  /** poptGetArg(): the next leftover argument, in the order they appeared. */
  getArg(): string | null {
    return this.nextLeftover < this.leftovers.length ? this.leftovers[this.nextLeftover++] : null;
  }

  /** poptBadOption(): the argv element read last, which is the one at fault. */
  badOption(): string {
    return this.argv[this.next - 1] ?? '';
  }
}
