#!/usr/bin/env python3
"""lhlo.py: the capabilities an LMTP server announces, one per line.

usage: lhlo.py SOCKET_PATH

Connects to the unix socket, reads the greeting, sends LHLO and prints
each line of the reply without its code (the first line is the server's
name), then QUIT. For the tests that say what a real server offers.
"""
import socket
import sys

s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
f = s.makefile("rb")
f.readline()
s.sendall(b"LHLO t.test\r\n")
while True:
    ln = f.readline()
    if not ln:
        sys.exit("lhlo.py: connection closed")
    print(ln[4:].decode().strip())
    if ln[3:4] != b"-":
        break
s.sendall(b"QUIT\r\n")
