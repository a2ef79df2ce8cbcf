// IPv6 addresses in the data plane: 4 big-endian 32-bit words (as int32), read
// from the model's canonical text once when a table is applied, never per packet.
import { Address6 } from 'ip-address';

/** Writes the 4 words of IPv6 text into out[o..o+3]; throws on text that is not an address. */
export function wordsOf6(text: string, out: Int32Array, o = 0): Int32Array {
  if (!Address6.isValid(text)) throw new Error(`not an IPv6 address: ${text}`);
  const b = new Address6(text).toByteArray();
  // toByteArray drops leading zero bytes (it is a big integer's): right-align them.
  const bytes = new Uint8Array(16);
  bytes.set(b.slice(-16), 16 - Math.min(16, b.length));
  for (let k = 0; k < 4; k++) out[o + k] = (bytes[4 * k] << 24) | (bytes[4 * k + 1] << 16) | (bytes[4 * k + 2] << 8) | bytes[4 * k + 3];
  return out;
}

/** The canonical text of the 4 words at a[o..o+3]. */
export function textOf6(a: Int32Array, o = 0): string {
  const parts: string[] = [];
  for (let k = 0; k < 4; k++) parts.push(((a[o + k] >>> 16) & 0xffff).toString(16), (a[o + k] & 0xffff).toString(16));
  return new Address6(parts.join(':')).correctForm();
}

/** Whether the first `len` bits of the addresses at a[ao..] and b[bo..] are equal. */
export function samePrefix6(a: Int32Array, ao: number, b: Int32Array, bo: number, len: number): boolean {
  for (let k = 0; k < 4 && len > 0; k++, len -= 32) {
    const mask = len >= 32 ? -1 : ~(-1 >>> len);
    if (((a[ao + k] ^ b[bo + k]) & mask) !== 0) return false;
  }
  return true;
}
