// Shared helpers of the lab tests: root detection, unique lab names, lookups.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fillPattern } from '../../src/lab/httpd.js';
import { isLabNamespace, netnsList } from '../../src/lab/index.js';

/** The end-to-end lab tests create network namespaces: root only (CI runs them as root). */
export const IS_ROOT = process.getuid?.() === 0 && spawnSync('ip', ['netns', 'list']).status === 0;
export const ROOT_REASON = IS_ROOT ? '' : ' [skipped: needs root and iproute2 to create network namespaces]';

let counter = 0;
/** t<pid><letter><n>: unique per test process and call; lower-case letters and digits only. */
export function uniqueName(tag = 'x'): string {
  counter += 1;
  return `t${process.pid}${tag}${counter}`;
}

export async function labNamespaces(name: string): Promise<string[]> {
  return (await netnsList()).filter((ns) => isLabNamespace(name, ns));
}

/** sha256 of the first n bytes of the httpd's /bytes pattern. */
export function patternSha256(n: number): string {
  const h = createHash('sha256');
  const buf = Buffer.alloc(1 << 20);
  for (let off = 0; off < n; off += buf.length) {
    const part = buf.subarray(0, Math.min(buf.length, n - off));
    fillPattern(part, off);
    h.update(part);
  }
  return h.digest('hex');
}
