// Where the data plane's counters live. In the router, the data plane runs in a
// worker thread and the control plane reads its counters without stopping it:
// those typed arrays are views of SharedArrayBuffers, which postMessage passes
// by reference. Everywhere else (replay, simulate, tests, benches) they are
// ordinary arrays. The engine's code is the same either way.

type Ctor<T> = { new (length: number): T; new (buffer: SharedArrayBuffer): T; readonly BYTES_PER_ELEMENT: number };

/** Makes a zeroed typed array of `length` elements. */
export interface Alloc {
  <T>(ctor: Ctor<T>, length: number): T;
  readonly shared: boolean;
}

export const privateAlloc: Alloc = Object.assign(<T>(ctor: Ctor<T>, length: number): T => new ctor(length), { shared: false });

export const sharedAlloc: Alloc = Object.assign(
  <T>(ctor: Ctor<T>, length: number): T => new ctor(new SharedArrayBuffer(Math.max(1, length) * ctor.BYTES_PER_ELEMENT)),
  { shared: true },
);
