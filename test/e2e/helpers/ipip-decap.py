#!/usr/bin/env python3
"""The real-server end of LVS-TUN for kernels without the ipip module.

usage: ipip-decap.py TUN_NAME SECONDS

Reads IP-in-IP packets (protocol 4) from a raw socket, strips the outer header and
writes the inner datagram into a TUN device, so the kernel delivers it as if it had
arrived on a tunnel interface; the real server then answers the client directly.
The inner TCP/UDP checksum is recomputed: a sender's CHECKSUM_PARTIAL (veth
offload) arrives through a raw socket unfinished. Ends after SECONDS or at SIGTERM, printing how many it passed on.
"""
import fcntl
import os
import select
import signal
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def fix_l4(pkt: bytearray) -> None:
    ihl = (pkt[0] & 15) * 4
    total = struct.unpack_from("!H", pkt, 2)[0]
    proto = pkt[9]
    frag = struct.unpack_from("!H", pkt, 6)[0]
    if frag & 0x3FFF or proto not in (6, 17):
        return
    at = ihl + (16 if proto == 6 else 6)
    if proto == 17 and pkt[at] == 0 and pkt[at + 1] == 0:
        return  # UDP without a checksum stays without one
    l4 = pkt[ihl:total]
    l4[at - ihl : at - ihl + 2] = b"\0\0"
    pseudo = bytes(pkt[12:20]) + struct.pack("!BBH", 0, proto, len(l4))
    c = csum(pseudo + bytes(l4))
    if proto == 17 and c == 0:
        c = 0xFFFF
    struct.pack_into("!H", pkt, at, c)


def main() -> None:
    name, seconds = sys.argv[1], float(sys.argv[2])
    tun = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, 4)
    print("ready", flush=True)
    end = time.time() + seconds
    count = 0
    stopped = []
    signal.signal(signal.SIGTERM, lambda *_: stopped.append(1))  # report the count when stopped too
    while time.time() < end and not stopped:
        ready, _, _ = select.select([raw], [], [], 0.5)
        if not ready:
            continue
        pkt = raw.recv(65535)
        inner = bytearray(pkt[(pkt[0] & 15) * 4 :])
        if len(inner) < 20 or inner[0] >> 4 != 4:
            continue
        fix_l4(inner)
        os.write(tun, bytes(inner))
        count += 1
    print(f"decapsulated {count}", flush=True)


if __name__ == "__main__":
    main()
