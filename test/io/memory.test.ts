import { describe, expect, it } from 'vitest';
import { Batch, VERDICT_TX } from '../../src/frames/batch.js';
import { MemoryPort } from '../../src/io/memory.js';
import { frameOf } from './helpers.js';
import { portContract } from './port-contract.js';

portContract('memory', () => {
  const port = new MemoryPort();
  return {
    port,
    inject: (ifIndex, frame) => port.inject(ifIndex, frame),
    takeSent: (ifIndex) => port.takeSent(ifIndex),
    ifaces: [1, 2],
  };
});

describe('MemoryPort', () => {
  it('copies injected frames, so the caller may reuse its buffer', () => {
    const port = new MemoryPort();
    const f = frameOf(60, 1);
    port.inject(1, f);
    f.fill(0);
    const b = new Batch(4);
    port.rx(b, 4);
    expect(b.frame(0)).toEqual(frameOf(60, 1));
  });

  it('keeps sent frames as copies until taken', () => {
    const port = new MemoryPort();
    const b = new Batch(4);
    b.push(frameOf(60, 1), 1);
    b.verdict[0] = VERDICT_TX;
    b.ifOut[0] = 3;
    port.tx(b);
    b.buf.fill(0); // the next round reuses the batch buffer
    expect(port.sent.get(3)).toEqual([frameOf(60, 1)]);
    expect(port.takeSent(3)).toEqual([frameOf(60, 1)]);
    expect(port.takeSent(3)).toEqual([]);
    expect(port.sent.has(3)).toBe(false);
  });

  it('leaves a frame queued when the batch is full, and counts what is pending', () => {
    const port = new MemoryPort();
    for (let i = 0; i < 3; i++) port.inject(1, frameOf(1000, i));
    const b = new Batch(8, 2500); // room for two 1000-byte frames
    expect(port.rx(b, 8)).toBe(2);
    expect(port.pending).toBe(1);
    b.reset();
    expect(port.rx(b, 8)).toBe(1);
    expect(b.frame(0)).toEqual(frameOf(1000, 2));
    expect(port.pending).toBe(0);
  });

  it('throws for a frame no empty batch can hold, rather than stall', () => {
    const port = new MemoryPort();
    port.inject(1, frameOf(3000, 0));
    expect(() => port.rx(new Batch(4, 2048), 4)).toThrow(/3000 bytes/);
  });

  it('keeps order over a long run of injects and receives', () => {
    const port = new MemoryPort();
    const b = new Batch(64);
    let next = 0;
    let got = 0;
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < 50; i++) port.inject(1, Uint8Array.of(next & 0xff, next++ >> 8));
      b.reset();
      const n = port.rx(b, 40);
      for (let i = 0; i < n; i++, got++) expect(b.frame(i)).toEqual(Uint8Array.of(got & 0xff, got >> 8));
    }
    expect(port.pending).toBe(next - got);
  });
});
