// Log lines as operators read them: logfmt or JSON on a terminal, and with a
// syslog priority and no timestamp of our own when stderr is the journal.
import { describe, expect, it } from 'vitest';
import { createLogger, stderrIsJournal } from '../../src/router/log.js';

const at = () => new Date('2026-12-04T10:00:00.000Z');

describe('logger', () => {
  it('writes logfmt with a timestamp, quoting values that need it, and drops lines below the level', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (l) => lines.push(l), clock: at });
    log.debug('not shown');
    log.info('change', { who: 'uid 0 pid 7', version: 3 });
    expect(lines).toEqual(['ts=2026-12-04T10:00:00.000Z level=info msg=change who="uid 0 pid 7" version=3']);
  });

  it('under the journal: the syslog priority first (journald reads it), no timestamp of its own', () => {
    const lines: string[] = [];
    const log = createLogger({ journal: true, write: (l) => lines.push(l), clock: at });
    log.info('router started');
    log.warn('change refused', { code: 'EEXIST' });
    log.error('reload failed');
    createLogger({ journal: true, json: true, write: (l) => lines.push(l), clock: at }).warn('x');
    expect(lines).toEqual([
      '<6>level=info msg="router started"',
      '<4>level=warn msg="change refused" code=EEXIST',
      '<3>level=error msg="reload failed"',
      '<4>{"level":"warn","msg":"x"}',
    ]);
  });

  it('tells the journal from a stream that only carries a stale JOURNAL_STREAM', () => {
    expect(stderrIsJournal({})).toBe(false);
    expect(stderrIsJournal({ JOURNAL_STREAM: '1:1' })).toBe(false);
  });
});
