#!/usr/bin/env python3
# A bounded ARP flood for the lab (issue 15's end-to-end test): COUNT ARP requests
# for TARGET from spoofed senders, each its own address (FIRST, FIRST+1, ...) and
# its own locally administered MAC, sent raw (AF_PACKET) on DEV. Run only inside
# a lab namespace. Fixed count, and a time limit of LIMIT seconds whatever happens.
#   python3 arp-flood.py DEV TARGET FIRST COUNT [LIMIT]
import socket, struct, sys, time

dev, target, first, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
limit = float(sys.argv[5]) if len(sys.argv) > 5 else 30.0
assert 0 < count <= 100000, 'count: 1 to 100000'
tip = socket.inet_aton(target)
base = struct.unpack('!I', socket.inet_aton(first))[0]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
deadline = time.monotonic() + limit
sent = 0
for i in range(count):
    if time.monotonic() > deadline:
        break
    mac = bytes([0x02, 0xaa, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, 0x5a])
    sip = struct.pack('!I', (base + i) & 0xffffffff)
    # Ethernet broadcast, ARP request (htype 1, ptype IPv4, hlen 6, plen 4, op 1).
    frame = b'\xff' * 6 + mac + b'\x08\x06' + struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1) + mac + sip + b'\x00' * 6 + tip
    while True:
        try:
            s.send(frame)
            break
        except OSError:  # ENOBUFS: the queue is full, wait for it
            if time.monotonic() > deadline:
                break
            time.sleep(0.001)
    sent += 1
print(sent)
