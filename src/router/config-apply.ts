// The receiving side of config sync: what a router does with an lvs.cf its
// partner sent. The guide (4.7) has the administrator copy lvs.cf to the backup
// by hand; both routers' files are identical by design (pulse's primary and
// backup are both in it), so the partner's file can be installed as it is. It is
// installed only when it passes every rule `tsvs check` applies (the compiler of
// src/config, key file and fwmark_rules_from read on this router) and its
// serial_no is higher than the one of this router's file; then it replaces the
// file atomically (a temporary file beside it, the old file's mode and owner,
// fsync, rename) and the router reloads through its normal reload path. A file
// that fails keeps the router's own, and its errors are logged as file:line.
import { chmodSync, chownSync, closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { compileLvsCf, ConfigErrors, globalSettings, parseLvsCf, type CompileOptions } from '../config/index.js';
import { readConfigText } from '../config/read-file.js';
import type { ReloadView } from '../control/types.js';

export type ConfigSyncResult =
  /** Written and reloaded. */
  | 'applied'
  /** This router's file already has this serial_no or a higher one: nothing done. */
  | 'current'
  /** The file fails `tsvs check`: this router keeps its own. */
  | 'invalid'
  /** Valid and newer, but it could not be written or the reload refused it. */
  | 'failed';

export interface ConfigSyncAnswer {
  result: ConfigSyncResult;
  /** The serial_no this router's file has now. */
  serial: number;
  errors: string[];
}

export interface ApplyDeps {
  configPath: string;
  /** Reloads the router from its lvs.cf (Router.reload). */
  reload(trigger: string): Promise<ReloadView>;
  /** How the compiler reads the files lvs.cf names (tests give memory ones). */
  compile?: CompileOptions;
}

/** Validates, compares serial_no, installs and reloads. Never throws: the answer says what happened. */
export async function applyReceivedConfig(text: string, from: string, deps: ApplyDeps): Promise<ConfigSyncAnswer> {
  const path = deps.configPath;
  const own = serialOf(path);
  let serial: number;
  try {
    const cfg = parseLvsCf(text, path);
    compileLvsCf(cfg, deps.compile);
    serial = globalSettings(cfg).serial_no;
  } catch (e) {
    const errors = e instanceof ConfigErrors ? e.errors.map(String) : [(e as Error).message];
    return { result: 'invalid', serial: own, errors };
  }
  if (serial <= own) return { result: 'current', serial: own, errors: [] };
  try {
    installAtomically(path, text);
  } catch (e) {
    return { result: 'failed', serial: own, errors: [`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`] };
  }
  const r = await deps.reload(`config sync from ${from} (serial_no ${own} -> ${serial})`);
  return r.ok ? { result: 'applied', serial, errors: [] } : { result: 'failed', serial, errors: r.errors };
}

/** serial_no of the file on disk; -1 when it cannot be read or parsed (any valid file is then newer). */
export function serialOf(path: string): number {
  try {
    return globalSettings(parseLvsCf(readConfigText(path), path)).serial_no;
  } catch {
    return -1;
  }
}

/** Writes beside the file, with its mode and owner, flushed, then renames over it: readers see the old or the new file, never half. */
export function installAtomically(path: string, text: string): void {
  const old = statSync(path, { throwIfNoEntry: false });
  const mode = old ? old.mode & 0o7777 : 0o644;
  const tmp = join(dirname(path), `.${basename(path)}.tsvs-sync-${process.pid}`);
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  try {
    // openSync's mode went through the umask; the old file's owner only root can give.
    chmodSync(tmp, mode);
    if (old && process.getuid?.() === 0) chownSync(tmp, old.uid, old.gid);
    renameSync(tmp, path);
  } catch (e) {
    unlinkSync(tmp);
    throw e;
  }
}

