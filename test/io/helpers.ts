// Small deterministic helpers shared by the io tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The seeded PRNG of the packet tests (mulberry32): a failing random case repeats. */
export { prng as rng } from '../packet/helpers.js';

/** A frame of `len` bytes whose content says which frame it is. */
export function frameOf(len: number, tag: number): Uint8Array {
  const f = new Uint8Array(len);
  for (let i = 0; i < len; i++) f[i] = (tag * 31 + i) & 0xff;
  return f;
}

export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** A fresh temporary directory and a function removing it. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-io-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Byte-for-byte equality that stays fast on big frames (vitest's deep equality walks
 * every element); on a mismatch it names the first differing byte.
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): string {
  if (Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))) return 'same';
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `lengths ${a.length} and ${b.length}, first difference at byte ${i}`;
}
