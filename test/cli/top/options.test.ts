// tsvs top's command line.
import { describe, expect, it } from 'vitest';
import { parseTopArgs, TOP_USAGE, TopUsageError } from '../../../src/cli/top/index.js';

describe('parseTopArgs', () => {
  it('defaults: every second, until quit, 10 connections', () => {
    expect(parseTopArgs([])).toEqual({ interval: 1, conns: 10 });
  });
  it('reads --interval, --iterations and --conns', () => {
    expect(parseTopArgs(['--interval', '0.5', '--iterations', '3', '--conns', '0'])).toEqual({ interval: 0.5, iterations: 3, conns: 0 });
  });
  it('refuses what it cannot use, naming the flag', () => {
    expect(() => parseTopArgs(['--interval', '0'])).toThrow(/--interval 0: want seconds from 0.1 to 3600/);
    expect(() => parseTopArgs(['--iterations', '0'])).toThrow(/--iterations 0: want a whole number from 1/);
    expect(() => parseTopArgs(['--conns', '2.5'])).toThrow(/--conns 2.5/);
    expect(() => parseTopArgs(['--bogus'])).toThrow(TopUsageError);
    expect(() => parseTopArgs(['extra'])).toThrow(TopUsageError);
  });
  it('the usage names every option', () => {
    for (const flag of ['--interval', '--iterations', '--conns']) expect(TOP_USAGE).toContain(flag);
  });
});
