#!/usr/bin/env python3
"""Userspace one-way delay between two TUN devices (sch_netem is unavailable here).

    tundelay.py TUN_A TUN_B DELAY_MS READY_FILE

Creates two point-to-point TUN devices (IFF_TUN|IFF_NO_PI) in the current network namespace,
writes READY_FILE, then forwards every IP packet read from one to the other after DELAY_MS
(constant delay, so each direction is a FIFO). The caller moves the devices into two network
namespaces and configures addresses, routes and `tc tbf` on them; the open file descriptors stay
attached to the devices across the move. Runs until SIGTERM/SIGINT.
Statistics (packets/bytes per direction) are printed to stderr on exit.
"""
import collections
import fcntl
import os
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def open_tun(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def main() -> None:
    name_a, name_b, delay_ms, ready = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    delay = delay_ms / 1000.0
    fd_a, fd_b = open_tun(name_a), open_tun(name_b)
    peer = {fd_a: fd_b, fd_b: fd_a}
    queues = {fd_a: collections.deque(), fd_b: collections.deque()}  # packets read from fd
    stats = {fd_a: [0, 0], fd_b: [0, 0]}
    running = [True]

    def stop(*_):
        running[0] = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ep = select.epoll()
    ep.register(fd_a, select.EPOLLIN)
    ep.register(fd_b, select.EPOLLIN)
    with open(ready + ".tmp", "w") as f:
        f.write("ready\n")
    os.rename(ready + ".tmp", ready)
    read, write, monotonic = os.read, os.write, time.monotonic
    while running[0]:
        now = monotonic()
        timeout = -1
        for q in queues.values():
            if q:
                wait = q[0][0] - now
                timeout = wait if timeout < 0 else min(timeout, wait)
        if timeout >= 0:
            timeout = max(timeout, 0.0)
        try:
            events = ep.poll(timeout)
        except InterruptedError:
            continue
        now = monotonic()
        for fd, _ in events:
            q = queues[fd]
            for _ in range(512):
                try:
                    packet = read(fd, 65536)
                except BlockingIOError:
                    break
                except OSError:
                    break
                q.append((now + delay, packet))
        now = monotonic()
        for fd, q in queues.items():
            out = peer[fd]
            st = stats[fd]
            while q and q[0][0] <= now:
                packet = q.popleft()[1]
                try:
                    write(out, packet)
                    st[0] += 1
                    st[1] += len(packet)
                except OSError:
                    pass  # device down or queue full: the packet is dropped, as on a wire
    sys.stderr.write("tundelay: %s->%s %d pkts %d bytes; %s->%s %d pkts %d bytes\n" % (
        name_a, name_b, stats[fd_a][0], stats[fd_a][1], name_b, name_a, stats[fd_b][0], stats[fd_b][1]))


if __name__ == "__main__":
    main()
