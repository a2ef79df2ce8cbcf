// IPv6 prefixes in the data plane: addresses are 4 big-endian 32-bit words (as
// int32, packet/ipv6.ts), read from the model's text once when a table is applied.

/** Whether the first `len` bits of the addresses at a[ao..] and b[bo..] are equal. */
export function samePrefix6(a: Int32Array, ao: number, b: Int32Array, bo: number, len: number): boolean {
  for (let k = 0; k < 4 && len > 0; k++, len -= 32) {
    const mask = len >= 32 ? -1 : ~(-1 >>> len);
    if (((a[ao + k] ^ b[bo + k]) & mask) !== 0) return false;
  }
  return true;
}
