// Classic BPF (linux/filter.h): the instruction encoding the kernel takes for a
// PACKET_FANOUT_CBPF group (PACKET_FANOUT_DATA), a tiny assembler with labels,
// and an interpreter of the same subset so a program can be checked without a
// kernel (tests, the balance simulation). Only what router/fanout-bpf.ts uses.
import { endianness } from 'node:os';

export const BPF_LD = 0x00, BPF_LDX = 0x01, BPF_ALU = 0x04, BPF_JMP = 0x05, BPF_RET = 0x06, BPF_MISC = 0x07;
export const BPF_W = 0x00, BPF_H = 0x08, BPF_B = 0x10;
export const BPF_IMM = 0x00, BPF_ABS = 0x20, BPF_IND = 0x40;
export const BPF_AND = 0x50, BPF_LSH = 0x60, BPF_RSH = 0x70, BPF_MUL = 0x20;
export const BPF_JA = 0x00, BPF_JEQ = 0x10, BPF_JSET = 0x40;
export const BPF_K = 0x00, BPF_A = 0x10, BPF_TAX = 0x00;
/** Ancillary loads (skb fields) and loads relative to the network header, whatever the skb's data points at. */
export const SKF_AD_OFF = -0x1000;
export const SKF_AD_PROTOCOL = 0;
export const SKF_NET_OFF = -0x100000;
export const BPF_MAXINSNS = 4096;

export interface Insn { code: number; jt: number; jf: number; k: number }

/** An instruction whose jumps name labels; resolved by assemble(). */
export type Op = { code: number; k?: number; jt?: string; jf?: string; ja?: string } | { label: string };

/** Resolves labels (jt/jf: 0..255 forward, ja: any forward distance) into instructions. */
export function assemble(ops: readonly Op[]): Insn[] {
  const at = new Map<string, number>();
  let pc = 0;
  for (const o of ops) {
    if ('label' in o) at.set(o.label, pc);
    else pc++;
  }
  const out: Insn[] = [];
  const rel = (label: string | undefined, from: number, max: number): number => {
    if (label === undefined) return 0;
    const to = at.get(label);
    if (to === undefined) throw new Error(`cbpf: no label ${label}`);
    const d = to - from - 1;
    if (d < 0 || d > max) throw new Error(`cbpf: jump to ${label} out of range (${d})`);
    return d;
  };
  for (const o of ops) {
    if ('label' in o) continue;
    const pcNow = out.length;
    if (o.ja !== undefined) out.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: rel(o.ja, pcNow, 0x7fffffff) });
    else out.push({ code: o.code, jt: rel(o.jt, pcNow, 255), jf: rel(o.jf, pcNow, 255), k: (o.k ?? 0) >>> 0 });
  }
  if (out.length > BPF_MAXINSNS) throw new Error(`cbpf: ${out.length} instructions, the kernel takes at most ${BPF_MAXINSNS}`);
  return out;
}

/** struct sock_filter[] in host byte order, as setsockopt takes it. */
export function encode(prog: readonly Insn[]): Uint8Array {
  const out = new Uint8Array(prog.length * 8);
  const v = new DataView(out.buffer);
  const le = endianness() === 'LE';
  prog.forEach((p, i) => {
    v.setUint16(i * 8, p.code, le);
    v.setUint8(i * 8 + 2, p.jt);
    v.setUint8(i * 8 + 3, p.jf);
    v.setUint32(i * 8 + 4, p.k >>> 0, le);
  });
  return out;
}

/**
 * Runs a program on a packet as the kernel's fanout does: `net` holds the bytes
 * from the network header on, `protocol` is skb->protocol (an EtherType). A load
 * out of the packet ends the program with 0, as in the kernel.
 */
export function run(prog: readonly Insn[], net: Uint8Array, protocol: number): number {
  let a = 0, x = 0, pc = 0;
  const load = (off: number, size: number): number | null => {
    if (off === SKF_AD_OFF + SKF_AD_PROTOCOL) return protocol & 0xffff;
    if (off < SKF_NET_OFF || off >= SKF_AD_OFF) throw new Error(`cbpf: load at ${off} not supported`);
    const o = off - SKF_NET_OFF;
    if (o + size > net.length) return null;
    let v = 0;
    for (let i = 0; i < size; i++) v = (v << 8) | net[o + i];
    return v >>> 0;
  };
  for (let steps = 0; steps <= prog.length; steps++) {
    const { code, jt, jf, k } = prog[pc++];
    const cls = code & 0x07;
    if (cls === BPF_LD || cls === BPF_LDX) {
      const mode = code & 0xe0;
      const size = (code & 0x18) === BPF_B ? 1 : (code & 0x18) === BPF_H ? 2 : 4;
      let v: number | null;
      if (mode === BPF_IMM) v = k >>> 0;
      else if (mode === BPF_ABS) v = load(k | 0, size);
      else if (mode === BPF_IND) v = load((x + (k | 0)) | 0, size);
      else throw new Error(`cbpf: load mode ${mode} not supported`);
      if (v === null) return 0;
      if (cls === BPF_LD) a = v;
      else x = v;
    } else if (cls === BPF_ALU) {
      const op = code & 0xf0;
      if (op === BPF_AND) a = (a & k) >>> 0;
      else if (op === BPF_LSH) a = (a << k) >>> 0;
      else if (op === BPF_RSH) a = a >>> k;
      else if (op === BPF_MUL) a = Math.imul(a, k) >>> 0;
      else throw new Error(`cbpf: alu op ${op} not supported`);
    } else if (cls === BPF_JMP) {
      const op = code & 0xf0;
      if (op === BPF_JA) pc += k;
      else if (op === BPF_JEQ) pc += a === k >>> 0 ? jt : jf;
      else if (op === BPF_JSET) pc += (a & k) !== 0 ? jt : jf;
      else throw new Error(`cbpf: jump op ${op} not supported`);
    } else if (cls === BPF_RET) {
      return (code & 0x18) === BPF_A ? a : k >>> 0;
    } else if (cls === BPF_MISC && (code & 0xf8) === BPF_TAX) {
      x = a;
    } else {
      throw new Error(`cbpf: instruction ${code} not supported`);
    }
  }
  throw new Error('cbpf: program ran off its end');
}
