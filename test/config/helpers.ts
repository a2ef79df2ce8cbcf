// Shared helpers of the config tests: fixture paths and error capture.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigErrors } from '../../src/config/index.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/config');

export function fixturePath(name: string): string {
  return join(FIXTURES, name);
}

export function fixture(name: string): string {
  return readFileSync(fixturePath(name), 'utf8');
}

/** Runs fn and returns the ConfigErrors it throws as `line CODE` strings (fails if it does not throw). */
export function errorsOf(fn: () => unknown): ConfigErrors {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigErrors) return e;
    throw e;
  }
  throw new Error('expected ConfigErrors, nothing was thrown');
}

export function codes(e: ConfigErrors): string[] {
  return e.errors.map((x) => `${x.line} ${x.code}`);
}
