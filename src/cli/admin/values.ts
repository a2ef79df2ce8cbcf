// The value parsers of ipvsadm.c, with the C library functions they lean on
// (strtol, atoi, inet_aton) reproduced, so that what ipvsadm accepts and
// refuses is what tsvs accepts and refuses: " 80" and "+80" are numbers to
// strtol, "10.1" is 10.0.0.1 to inet_aton, and so on.
import { fail } from './errors.js';

/** MAX_TIMEOUT: 31 days. */
export const MAX_TIMEOUT = 86400 * 31;
/** libipvs.h IPVS_SVC_PERSISTENT_TIMEOUT is (6*60): 360 s, although the man page still says 300. */
export const DEFAULT_PERSISTENCE = 6 * 60;
const LONG_MAX = (1n << 63n) - 1n;
const INT_MAX = 0x7fffffff;

const isSpace = (c: string | undefined): boolean => c !== undefined && ' \t\n\v\f\r'.includes(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** strtol(s, &end, 10): the value, where parsing stopped, and whether it overflowed (ERANGE). */
export function strtol(s: string): { value: bigint; end: number; erange: boolean } {
  let i = 0;
  while (isSpace(s[i])) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') negative = s[i++] === '-';
  const start = i;
  while (isDigit(s[i])) i++;
  if (i === start) return { value: 0n, end: 0, erange: false };
  let value = BigInt(s.slice(start, i));
  if (negative) value = -value;
  const erange = value > LONG_MAX || value < -LONG_MAX - 1n;
  return { value: erange ? (negative ? -LONG_MAX - 1n : LONG_MAX) : value, end: i, erange };
}

/** string_to_number(): a whole string that strtol reads as a number in [min, max], else null (ipvsadm's -1). */
export function stringToNumber(s: string, min: number, max: number): number | null {
  const { value, end, erange } = strtol(s);
  if (end !== s.length || end === 0 || erange) return null;
  return value >= BigInt(min) && value <= BigInt(max) ? Number(value) : null;
}

/** atoi(), as ipvsadm reads an IPv6 -M prefix length. */
export function atoi(s: string): number {
  const { value } = strtol(s);
  return Number(BigInt.asIntN(32, value));
}

/** parse_timeout(): no value (-p alone) is the default persistence timeout. */
export function parseTimeout(buf: string | null, min: number, max: number): number {
  if (buf === null) return DEFAULT_PERSISTENCE;
  const n = stringToNumber(buf, min, max);
  if (n === null) fail(`invalid timeout value \`${buf}' specified`);
  return n;
}

/** parse_fwmark(): 1 .. UINT_MAX. */
export function parseFwmark(buf: string): number {
  const { value, end, erange } = strtol(buf);
  if (end !== buf.length || end === 0 || erange || value <= 0n || value > 0xffffffffn) fail(`invalid fwmark value \`${buf}' specified`);
  return Number(value);
}

export function parseIntRange(buf: string, min: number, max: number, message: string): number {
  const n = stringToNumber(buf, min, max);
  if (n === null) fail(message);
  return n;
}

export { INT_MAX };

/**
 * inet_aton() as glibc has it: one to four parts separated by dots, each
 * decimal, octal (leading 0) or hex (0x); the last part fills the bytes left
 * ("10.1" is 10.0.0.1, "0x7f000001" is 127.0.0.1); trailing white space ends
 * the address. Returns the address as an unsigned number, or null.
 */
export function inetAton(s: string): number | null {
  const parts: number[] = [];
  let i = 0;
  for (;;) {
    if (!isDigit(s[i])) return null;
    let base = 10;
    let val = 0;
    let digits = false;
    if (s[i] === '0') {
      i++;
      digits = true;
      if (s[i] === 'x' || s[i] === 'X') {
        base = 16;
        i++;
        digits = false;
      } else base = 8;
    }
    for (;;) {
      const c = s[i];
      if (isDigit(c) && !(base === 8 && c >= '8')) val = val * base + Number(c);
      else if (base === 8 && isDigit(c)) return null;
      else if (base === 16 && c !== undefined && /[0-9a-fA-F]/.test(c)) val = val * 16 + parseInt(c, 16);
      else break;
      if (val > 0xffffffff) return null;
      digits = true;
      i++;
    }
    if (!digits) return null;
    if (s[i] !== '.') {
      parts.push(val);
      break;
    }
    if (parts.length > 2) return null;
    parts.push(val);
    i++;
  }
  if (!(i === s.length || isSpace(s[i]))) return null;
  const last = parts[parts.length - 1];
  const head = parts.slice(0, -1);
  if (head.some((p) => p > 0xff)) return null;
  const room = [0xffffffff, 0xffffff, 0xffff, 0xff][head.length];
  if (last > room) return null;
  let addr = last;
  head.forEach((p, k) => {
    addr += p * 2 ** (24 - 8 * k);
  });
  return addr >>> 0;
}

/** The scheduler flags ipvsadm knows, and the scheduler each family name needs (parse_sched_flags). */
const FLAG_FAMILY: Record<string, string | null> = {
  'flag-1': null, 'flag-2': null, 'flag-3': null,
  'sh-fallback': 'sh', 'sh-port': 'sh', 'mh-fallback': 'mh', 'mh-port': 'mh',
};

/**
 * parse_sched_flags(): the comma-separated -b names, checked against the
 * scheduler (-s, else wlc). ipvsadm copies the argument into 128 bytes first,
 * so only its first 127 characters count. Returns the names, once each.
 */
export function parseSchedFlags(scheduler: string, arg: string): string[] {
  const sched = scheduler || 'wlc';
  // strtok skips empty fields. ipvsadm crashes on an argument of commas only
  // (strcmp on NULL); tsvs reads it as no flags.
  const names = arg.slice(0, 127).split(',').filter((f) => f !== '');
  for (const flag of names) {
    if (!Object.hasOwn(FLAG_FAMILY, flag)) fail(`invalid scheduler flag \`${flag}'`);
    const family = FLAG_FAMILY[flag];
    if (family !== null && family !== sched) fail(`incompatible scheduler flag \`${flag}'`);
  }
  return [...new Set(names)];
}
