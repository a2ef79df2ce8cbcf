// The web tool's password file, as piranha-passwd kept Piranha's: one line per
// user, `USER:scrypt$N$r$p$SALT$HASH` (salt and hash in base64), mode 0600. The
// hash is Node's crypto.scrypt: salted and memory-hard, no extra dependency.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Default password file (beside the router's lvs.cf in /etc/tsvs). */
export const DEFAULT_PASSWD = '/etc/tsvs/gui.passwd';
/** Piranha's one user. */
export const DEFAULT_USER = 'piranha';

// N = 2^15, r = 8: 32 MiB and some 50-100 ms per try on a small machine.
const PARAMS = { N: 1 << 15, r: 8, p: 1 };
const KEYLEN = 32;

function derive(password: string, salt: Buffer, o: { N: number; r: number; p: number }): Promise<Buffer> {
  const opts: ScryptOptions = { ...o, maxmem: 128 * o.N * o.r * 2 };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEYLEN, opts, (e, k) => (e ? reject(e) : resolve(k))));
}

export async function hashPassword(password: string, params = PARAMS): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** False for a wrong password or a hash this code did not write. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (N < 2 || N > 1 << 20 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const want = Buffer.from(m[5], 'base64');
  const got = await derive(password, Buffer.from(m[4], 'base64'), { N, r, p });
  return want.length === got.length && timingSafeEqual(want, got);
}

export function readPasswd(path: string): Map<string, string> {
  const users = new Map<string, string>();
  if (!existsSync(path)) return users;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const at = line.indexOf(':');
    if (at > 0) users.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return users;
}

/** Sets one user's password; written to a 0600 temp file and renamed, so no reader sees half a file. */
export async function setPassword(path: string, user: string, password: string): Promise<void> {
  if (!/^[A-Za-z0-9_.-]{1,32}$/.test(user)) throw new Error(`user name "${user}": letters, digits, _ . - only`);
  const users = readPasswd(path);
  users.set(user, await hashPassword(password));
  // /etc/tsvs may not exist on a fresh machine.
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const tmp = `${path}.tmp${process.pid}`;
  writeFileSync(tmp, [...users].map(([u, h]) => `${u}:${h}\n`).join(''), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** Checks a login against the file; an unknown user costs a hash too, so timing tells nothing. */
export async function checkLogin(path: string, user: string, password: string): Promise<boolean> {
  const stored = readPasswd(path).get(user);
  if (stored === undefined) {
    await hashPassword(password);
    return false;
  }
  return verifyPassword(password, stored);
}
