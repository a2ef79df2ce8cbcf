#!/usr/bin/env python3
# Frames the kernel would not accept, sent raw (AF_PACKET) from a lab client to
# the router's MAC and a VIP (issue 15 items 5, 6, 8 and 20): COUNT of each kind,
# then COUNT good echo requests, then the echo replies heard within a second.
# Run only inside a lab namespace; fixed counts, bounded in time.
#   python3 bad-frames.py DEV SRC_MAC ROUTER_MAC SRC_IP VIP COUNT
# Prints one JSON line: {"sent": {kind: n}, "replies": {"good": n, "bad": n}}.
import json, socket, struct, sys, time

dev, smac, rmac, sip, vip, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
assert 0 < count <= 1000, 'count: 1 to 1000'
mac = lambda s: bytes(int(x, 16) for x in s.split(':'))
SRC, ROUTER, OTHER = mac(smac), mac(rmac), bytes([0x02, 0x99, 0, 0, 0x99, 0x99])
S, V = socket.inet_aton(sip), socket.inet_aton(vip)


def csum(b: bytes) -> int:
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack(f'!{len(b) // 2}H', b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip(proto: int, payload: bytes, total=None, bad_csum=False, ident=1) -> bytes:
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, total or 20 + len(payload), ident, 0x4000, 64, proto, 0, S, V)
    c = csum(h) ^ (0x5a5a if bad_csum else 0)
    return h[:10] + struct.pack('!H', c) + h[12:] + payload


def syn(sport: int) -> bytes:
    t = struct.pack('!HHIIBBHHH', sport, 80, 1, 0, 5 << 4, 0x02, 64240, 0, 0)
    pseudo = S + V + struct.pack('!BBH', 0, 6, len(t))
    return t[:16] + struct.pack('!H', csum(pseudo + t)) + t[18:]


def echo(ident: int, seq: int, bad=False) -> bytes:
    e = struct.pack('!BBHHH', 8, 0, 0, ident, seq) + b'tsvs-bad-frames'
    c = csum(e) ^ (0x1234 if bad else 0)
    return e[:2] + struct.pack('!H', c) + e[4:]


eth = lambda dst, typ: dst + SRC + struct.pack('!H', typ)
GOOD_ID, BAD_ID = 0x7001, 0x7002
kinds = {
    'bad_ip_checksum': lambda i: eth(ROUTER, 0x0800) + ip(6, syn(41000 + i), bad_csum=True),
    'bad_ip_total_length': lambda i: eth(ROUTER, 0x0800) + ip(6, syn(42000 + i), total=1400),
    'vlan_tagged': lambda i: ROUTER + SRC + struct.pack('!HH', 0x8100, 42) + struct.pack('!H', 0x0800) + ip(6, syn(43000 + i)),
    'other_host': lambda i: eth(OTHER, 0x0800) + ip(6, syn(44000 + i)),
    'bad_icmp_checksum': lambda i: eth(ROUTER, 0x0800) + ip(1, echo(BAD_ID, i, bad=True)),
}
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind((dev, 0))
sent = {}
for name, make in kinds.items():
    for i in range(count):
        s.send(make(i))
    sent[name] = count
for i in range(count):
    s.send(eth(ROUTER, 0x0800) + ip(1, echo(GOOD_ID, i)))
replies = {'good': 0, 'bad': 0}
s.settimeout(0.1)
deadline = time.monotonic() + 1.0
while time.monotonic() < deadline:
    try:
        f = s.recv(2048)
    except socket.timeout:
        continue
    if len(f) < 42 or f[23] != 1 or f[26:30] != V or f[34] != 0:
        continue
    ident = struct.unpack('!H', f[38:40])[0]
    if ident == GOOD_ID:
        replies['good'] += 1
    elif ident == BAD_ID:
        replies['bad'] += 1
print(json.dumps({'sent': sent, 'replies': replies}))
