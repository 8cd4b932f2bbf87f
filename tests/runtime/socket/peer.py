#!/usr/bin/env python3
"""peer.py — the test peer of tests/runtime/socket.sh: a TCP server that serves lines to one
client, goes away, and comes back on the same port.

    peer.py PORT_FILE DONE_FILE MODE

Binds 127.0.0.1 on a free port and writes it to PORT_FILE. MODE:
  once    accept one client, send "k=a,v=1", "k=b,v=2", "k=z,v=0", then the incomplete line
          "k=c,v=3" (no newline), close and exit.
  return  as once; then no listener for 2 s (connections are refused: the job's first retry,
          100 ms later, must meet a refusal even on a slow machine), then listen again on
          the same port, accept one client, send "k=d,v=4", "k=e,v=5", keep the connection
          open until DONE_FILE exists (at most 20 s), close and exit.
"""
import os
import socket
import sys
import time


def listen(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(1)
    return s


def serve(srv, chunks):
    srv.settimeout(20)
    conn, _ = srv.accept()
    for c in chunks:
        conn.sendall(c)
        time.sleep(0.05)  # separate reads: the incomplete line arrives on its own
    return conn


def main():
    port_file, done_file, mode = sys.argv[1:4]
    srv = listen(0)
    port = srv.getsockname()[1]
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(port_file + ".tmp", port_file)
    conn = serve(srv, [b"k=a,v=1\nk=b,v=2\n", b"k=z,v=0\n", b"k=c,v=3"])
    conn.close()
    srv.close()
    if mode == "once":
        return 0
    time.sleep(2.0)
    srv = listen(port)
    conn = serve(srv, [b"k=d,v=4\nk=e,v=5\n"])
    deadline = time.time() + 20
    while not os.path.exists(done_file) and time.time() < deadline:
        time.sleep(0.05)
    conn.close()
    srv.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
