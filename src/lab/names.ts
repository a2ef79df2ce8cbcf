// Lab names, namespace names and the state directory. A lab's namespaces are
// `tsvs-<name>-<role>` with a role of letters and digits only, and a lab name
// has no dash either, so `tsvs-lab-` can never match another lab's namespaces
// (a lab "lab" and a lab "lab2" do not share a prefix once the dash is added).
import { join } from 'node:path';

export const DEFAULT_LAB_NAME = 'lab';
export const STATE_ROOT = '/run/tsvs';

const NAME_RE = /^[a-z0-9]{1,20}$/;

export function checkLabName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw new Error(`lab name "${name}": want 1-20 lower-case letters or digits (it becomes part of namespace names tsvs-<name>-<role>)`);
  }
  return name;
}

export function nsPrefix(name: string): string {
  return `tsvs-${name}-`;
}

export function nsName(name: string, role: string): string {
  return `${nsPrefix(name)}${role}`;
}

/** True when `ns` is one of lab `name`'s namespaces (any role). */
export function isLabNamespace(name: string, ns: string): boolean {
  const prefix = nsPrefix(name);
  return ns.startsWith(prefix) && /^[a-z0-9]+$/.test(ns.slice(prefix.length));
}

export function stateDir(name: string): string {
  return join(STATE_ROOT, `lab-${name}`);
}
