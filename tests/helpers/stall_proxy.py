#!/usr/bin/env python3
"""A TCP proxy that stops answering when told, for the tests of berth's
time limits: a server that accepts a connection and then says nothing.

    stall_proxy.py --to HOST:PORT --listen 127.0.0.1:0 --port-file FILE --stall-file FILE

Each connection is relayed to HOST:PORT, both ways, bytes as they are (TLS
passes through). While STALL-FILE exists, a new connection is accepted and
then held: nothing is read from it, nothing is sent, nothing is relayed,
until the client gives up. Connections made before it appeared go on.
The port it listens on goes to PORT-FILE. Python 3's standard library only.

With --partition, the stall is a network partition instead: while
STALL-FILE exists, nothing is relayed on any connection, old or new. What
either side sends meanwhile is dropped, and each connection that tried to
carry something is cut when the stall ends (both ends closed), as a
partition leaves TCP: nothing sent during it arrives after it.
"""

import argparse
import os
import socket
import sys
import threading


partition = False
stall_path = None


def stalled():
    return os.path.exists(stall_path)


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if partition and stalled():
                # Dropped; the connection dies with the partition.
                while stalled():
                    threading.Event().wait(0.05)
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def hold(conn):
    # Read nothing: wait until the client closes, then close.
    try:
        conn.recv(1, socket.MSG_PEEK)
        while conn.recv(65536):
            pass
    except OSError:
        pass
    conn.close()


def serve(conn, to, stall_file):
    if os.path.exists(stall_file):
        if partition:
            # Nothing reaches the server: held until the client gives up,
            # or cut when the partition ends.
            conn.settimeout(0.05)
            while stalled():
                try:
                    if not conn.recv(65536, socket.MSG_PEEK):
                        break
                    conn.recv(65536)
                except socket.timeout:
                    pass
                except OSError:
                    break
            conn.close()
            return
        hold(conn)
        return
    try:
        up = socket.create_connection(to, timeout=10)
        up.settimeout(None)
    except OSError as e:
        sys.stderr.write(f"stall_proxy: cannot reach {to}: {e}\n")
        conn.close()
        return
    threading.Thread(target=pipe, args=(conn, up), daemon=True).start()
    pipe(up, conn)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--to", required=True)
    ap.add_argument("--listen", default="127.0.0.1:0")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--stall-file", required=True)
    ap.add_argument("--partition", action="store_true")
    a = ap.parse_args()
    global partition, stall_path
    partition = a.partition
    stall_path = a.stall_file
    host, port = a.to.rsplit(":", 1)
    lhost, lport = a.listen.rsplit(":", 1)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((lhost, int(lport)))
    srv.listen(64)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(f"{srv.getsockname()[1]}\n")
    os.rename(a.port_file + ".tmp", a.port_file)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, (host, int(port)), a.stall_file),
                         daemon=True).start()


if __name__ == "__main__":
    main()
