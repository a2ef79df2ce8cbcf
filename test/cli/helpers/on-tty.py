#!/usr/bin/env python3
# Runs a command on a pseudo-terminal and types answers to its prompts, as a
# person at a terminal would (tsvs passwd's prompt test). Bounded: each prompt
# is awaited at most 10 s, the end of the command 5 s, the whole run 30 s.
#   python3 on-tty.py PROMPT1 ANSWER1 [PROMPT2 ANSWER2 ...] -- COMMAND ARGS...
# Prints one JSON line: {"status": N, "output": "everything the terminal showed"}.
import json, os, pty, select, sys, time

sep = sys.argv.index('--')
pairs, cmd = sys.argv[1:sep], sys.argv[sep + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
out = b''
deadline = time.monotonic() + 30


def read_until(text, start, limit):
    """Reads until `text` shows after offset `start` (returns the offset past it), or EOF/time (-1)."""
    global out
    end = min(deadline, time.monotonic() + limit)
    while True:
        at = out.find(text, start) if text else -1
        if at >= 0:
            return at + len(text)
        left = end - time.monotonic()
        if left <= 0:
            return -1
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal (EIO): it has ended
            return -1
        if not chunk:
            return -1
        out += chunk


pos = 0
for i in range(0, len(pairs), 2):
    pos = read_until(pairs[i].encode(), pos, 10)
    if pos < 0:
        break
    os.write(fd, pairs[i + 1].encode() + b'\r')
read_until(b'', len(out), 5)
# Ended by now, or ended here (its PID, which this script started).
while True:
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    if time.monotonic() > deadline:
        os.kill(pid, 9)
        _, st = os.waitpid(pid, 0)
        break
    time.sleep(0.05)
print(json.dumps({'status': os.waitstatus_to_exitcode(st), 'output': out.decode('utf8', 'replace')}))
