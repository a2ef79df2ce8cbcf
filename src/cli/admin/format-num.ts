// Numbers as ipvsadm prints them in --stats and --rate (print_largenum).

/**
 * print_largenum(): nine columns. Below 100 million the number itself
 * ("%9llu"); above, eight digits and a unit, each unit chosen so the number
 * keeps at most eight digits:
 *   < 1e9  -> "%8lluK" of n/1e3      < 1e11 -> "%8lluM" of n/1e6
 *   < 1e14 -> "%8lluG" of n/1e9      else   -> "%8lluT" of n/1e12
 * (integer division, so 999,999,999 is "  999999K"). With --exact the number
 * is printed whole, "%*llu" at width 9, or its length + 1 when longer than 8
 * digits, so there is always a blank before it.
 */
export function largeNum(value: number, exact: boolean): string {
  const n = BigInt(Math.max(0, Math.trunc(value)));
  const digits = n.toString();
  if (exact) return digits.padStart(digits.length <= 8 ? 9 : digits.length + 1);
  if (n < 100_000_000n) return digits.padStart(9);
  if (n < 1_000_000_000n) return `${(n / 1_000n).toString().padStart(8)}K`;
  if (n < 100_000_000_000n) return `${(n / 1_000_000n).toString().padStart(8)}M`;
  if (n < 100_000_000_000_000n) return `${(n / 1_000_000_000n).toString().padStart(8)}G`;
  return `${(n / 1_000_000_000_000n).toString().padStart(8)}T`;
}

/** " %8llu": the real servers' CPS, InPPS and OutPPS in --rate are printed plain, never abbreviated. */
export function plain8(value: number): string {
  return ` ${String(Math.max(0, Math.trunc(value))).padStart(8)}`;
}

/** print_conn(): the expiry as "%02d:%02d" minutes and seconds (minutes may pass 99). */
export function mmss(seconds: number): string {
  const s = Math.max(0, Math.trunc(seconds));
  return `${String(Math.trunc(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}
