#!/usr/bin/env python3
"""The real-server end of LVS-TUN for kernels without the ipip module.

usage: ipip-decap.py TUN_NAME SECONDS [ipip | gue PORT | gre] [v6]

Reads tunnelled packets and writes the inner datagram into a TUN device, so the
kernel delivers it as if it had arrived on a tunnel interface; the real server then
answers the client directly. ipip (default): a raw socket for protocol 4, the outer
header stripped. gue: a UDP socket on PORT (the kernel checks the UDP checksum, so a
wrong one never arrives), the GUE header (4 bytes + hlen words of options) stripped.
gre: a raw socket for protocol 47, the GRE header stripped after its checksum is
checked when the C bit is set (a wrong one is counted as bad and dropped).
With v6 the tunnel is IPv6's (an IPv6 raw socket for next header 41, GRE of
protocol 0x86dd, GUE over UDP/IPv6; the kernel hands raw IPv6 sockets the payload
without the IPv6 header) and the inner datagram is IPv6.
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


def fix_l4_v6(pkt: bytearray) -> None:
    if len(pkt) < 40:
        return
    proto = pkt[6]
    if proto not in (6, 17):
        return  # extension headers: left as they are
    length = struct.unpack_from("!H", pkt, 4)[0]
    at = 40 + (16 if proto == 6 else 6)
    l4 = pkt[40 : 40 + length]
    l4[at - 40 : at - 40 + 2] = b"\0\0"
    pseudo = bytes(pkt[8:40]) + struct.pack("!IxxxB", len(l4), proto)
    c = csum(pseudo + bytes(l4))
    if proto == 17 and c == 0:
        c = 0xFFFF
    struct.pack_into("!H", pkt, at, c)


def strip_ipip(pkt: bytes):
    return pkt[(pkt[0] & 15) * 4 :]


def strip_gue(payload: bytes):
    # GUE version 0: ver(2) C(1) hlen(5) | proto/ctype | flags; data messages only, carrying IPIP.
    if len(payload) < 4 or payload[0] >> 6 != 0 or payload[0] & 0x20 or payload[1] != (41 if V6 else 4):
        return None
    return payload[4 + (payload[0] & 31) * 4 :]


GRE_PROTO = 0x0800


def strip_gre(pkt: bytes):
    g = pkt[(pkt[0] & 15) * 4 :] if GRE_PROTO == 0x0800 else pkt
    if len(g) < 4:
        return None
    flags, proto = struct.unpack_from("!HH", g, 0)
    if proto != GRE_PROTO or flags & 0x0007:
        return None
    hlen = 4 + 4 * bool(flags & 0x8000) + 4 * bool(flags & 0x2000) + 4 * bool(flags & 0x1000)
    inner = bytearray(g[hlen:])
    if flags & 0x8000:
        # RFC 2784: the checksum covers the GRE header and payload, the payload as the
        # sender's device finishes it: over veth a CHECKSUM_PARTIAL inner checksum
        # arrives unfinished, so finish it (as fix_l4 will anyway) before checking.
        if len(inner) >= 20 and inner[0] >> 4 == 4:
            fix_l4(inner)
        elif len(inner) >= 40 and inner[0] >> 4 == 6:
            fix_l4_v6(inner)
        if csum(bytes(g[:hlen]) + bytes(inner)) != 0:
            return False
    return inner


V6 = False


def main() -> None:
    global V6, GRE_PROTO
    args = [a for a in sys.argv[1:] if a != "v6"]
    V6 = "v6" in sys.argv[1:]
    if V6:
        GRE_PROTO = 0x86DD
    sys.argv = [sys.argv[0], *args]
    name, seconds = sys.argv[1], float(sys.argv[2])
    mode = sys.argv[3] if len(sys.argv) > 3 else "ipip"
    family = socket.AF_INET6 if V6 else socket.AF_INET
    tun = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    if mode == "gue":
        raw = socket.socket(family, socket.SOCK_DGRAM)
        raw.bind(("::" if V6 else "0.0.0.0", int(sys.argv[4])))
        strip = strip_gue
    elif mode == "gre":
        raw = socket.socket(family, socket.SOCK_RAW, 47)
        strip = strip_gre
    else:
        raw = socket.socket(family, socket.SOCK_RAW, 41 if V6 else 4)
        strip = (lambda p: p) if V6 else strip_ipip
    print("ready", flush=True)
    end = time.time() + seconds
    count = 0
    bad = 0
    stopped = []
    signal.signal(signal.SIGTERM, lambda *_: stopped.append(1))  # report the count when stopped too
    while time.time() < end and not stopped:
        ready, _, _ = select.select([raw], [], [], 0.5)
        if not ready:
            continue
        got = strip(raw.recv(65535))
        if got is False:
            bad += 1
            continue
        if got is None:
            continue
        inner = bytearray(got)
        if V6:
            if len(inner) < 40 or inner[0] >> 4 != 6:
                continue
            fix_l4_v6(inner)
        elif len(inner) < 20 or inner[0] >> 4 != 4:
            continue
        else:
            fix_l4(inner)
        os.write(tun, bytes(inner))
        count += 1
    print(f"decapsulated {count} bad {bad}", flush=True)


if __name__ == "__main__":
    main()
