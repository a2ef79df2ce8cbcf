// Config errors carry a stable code, the file and the line, so that `tsvs check`,
// a reload and the web tool all report the same thing the same way. Codes reuse
// Piranha's lvsconfig.h names where the meaning matches (LVS_ERROR_BADQUOTING ...)
// so that an operator who knows Piranha reads them the same way.

export type ConfigErrorCode =
  // Piranha's parser codes (lvsconfig.h, lvsStrerror()):
  | 'BADQUOTING' // "quotation mismatch"
  | 'EOF' // "unexpected end of file": a block is never closed
  | 'EXTRAARGS' // "unexpected arguments"
  | 'EQUALEXPECTED' // "equal (=) expected after command"
  | 'MISSINGARGS' // "missing arguments"
  | 'BADHOSTNAME' // "invalid host name or ip address"
  | 'BADARGUMENT' // "invalid argument"
  | 'INTEXPECTED' // "integer expected"
  | 'BOOLEXPECTED' // "boolean expected"
  | 'BADCOMMAND' // "unknown command"
  | 'LISTEXPECTED' // "list expected"
  | 'TOOMANYARGS' // more tokens on a line than Piranha's LVS_MAX_TOKENS (100)
  | 'ONLYONESERVICE' // service = fos: tsvs runs service = lvs only
  | 'BADNETMASK' // "Bad subnet mask specified"
  | 'EMPTY' // Piranha's LVS_ERROR_STAT "Empty configuration" (zero-length file)
  | 'READ' // Piranha's LVS_ERROR_READ: the file cannot be read
  // tsvs additions:
  | 'DUPLICATE' // a key twice in one block, two blocks with one name, two services with one key
  | 'RANGE' // a number outside the range the key allows
  | 'MISSINGKEY' // a required key is absent (a server with no address, ...)
  | 'UNREPRESENTABLE' // a table that lvs.cf cannot express (lvsCfFromTable)
  | 'UNSUPPORTED' // an iptables rule tsvs cannot reproduce (fwmark_rules_from: -s, !, -m state, ...)
  | 'CONFLICT' // two check blocks of one server give one timing key (delay_loop, rise, ...) different values
  | 'INSECURE' // ha_key_file is readable or writable by every user
  // Model codes (src/model/table.ts ModelError) pass through unchanged:
  | (string & {});

import { printable } from './printable.js';

export class ConfigError extends Error {
  constructor(
    readonly code: ConfigErrorCode,
    readonly file: string,
    /** 1-based line; 0 when the error is about the file as a whole. */
    readonly line: number,
    message: string,
  ) {
    // Messages quote the file's text, which may hold terminal control bytes.
    super(printable(message));
    this.name = 'ConfigError';
  }

  /** `lvs.cf:12: BADNETMASK: pmask "255.0.255.0" is not a contiguous netmask` */
  override toString(): string {
    return `${this.file}:${this.line}: ${this.code}: ${this.message}`;
  }
}

/**
 * Every error found in one file (and the files it reads, such as an iptables-save
 * file named by fwmark_rules_from). The parser and the compiler collect all errors
 * before throwing this, so one `tsvs check` run shows them all: by line, file by
 * file in the order the files first appear.
 */
export class ConfigErrors extends Error {
  readonly errors: readonly ConfigError[];

  constructor(errors: readonly ConfigError[]) {
    const files = [...new Set(errors.map((e) => e.file))];
    const sorted = [...errors].sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file) || a.line - b.line);
    super(sorted.map((e) => e.toString()).join('\n'));
    this.name = 'ConfigErrors';
    this.errors = sorted;
  }
}
