// makeDirs: `mkdir -p` without Node's recursive mkdir. Node 20's
// mkdirSync(path, { recursive: true }) loops for ever on a path under /proc
// (mkdir there fails with ENOENT although the parent exists, and Node retries
// the parent). So: find the nearest existing ancestor, refuse pseudo
// filesystems (proc, sysfs and kin: nothing there can hold our files), then
// create each missing component with a plain mkdir. Every failure is one line.
import { mkdirSync, statfsSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** statfs f_type of the kernel's pseudo filesystems (linux/magic.h). */
const PSEUDO_FS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0xcafe4a11, 'bpf'],
  [0x73636673, 'securityfs'],
  [0x6e736673, 'nsfs'],
]);

export function makeDirs(path: string, mode?: number): void {
  const fail = (why: string): never => {
    throw new Error(`cannot create ${path}: ${why}`);
  };
  const missing: string[] = [];
  let at = resolve(path);
  for (;;) {
    const st = statOrNull(at);
    if (st !== null) {
      if (!st.isDirectory()) fail(`${at} is not a directory`);
      break;
    }
    missing.push(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  if (missing.length === 0) return;
  const fs = pseudoFs(at);
  if (fs !== null) fail(`${at} is a ${fs} pseudo filesystem`);
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      mkdirSync(missing[i], mode === undefined ? undefined : { mode });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statOrNull(missing[i])?.isDirectory()) continue; // made meanwhile
      fail(`${missing[i]}: ${code ?? (e as Error).message}`);
    }
  }
}

function statOrNull(p: string): Stats | null {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

function pseudoFs(dir: string): string | null {
  try {
    return PSEUDO_FS.get(Number(statfsSync(dir).type)) ?? null;
  } catch {
    return null;
  }
}
