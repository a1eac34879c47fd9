#!/usr/bin/python3
"""Attacks on berth run's HTTP listener, as a stranger on its port makes them.

    tests/attacks/listener.py HOST:PORT [ATTACK...]

Each attack is bounded in time and in connections, needs no signature, and
prints what it measured; the exit status is 1 when the listener did not hold.
With no ATTACK, all of them run:

  trickle   64 connections each send a whole "POST /hooks/github" head, then
            one byte of body every 0.5 s, and connect again every 9.5 s,
            for 30 s. Meanwhile /healthz is probed every 0.5 s: at least 95%
            of the probes must be answered 200 within 2 s.
  heads     64 connections send half a request head and stay; /healthz must
            still be answered.
  bare-lf   a request line ended by a bare LF must get 400 at once (within
            2 s), not a 408 at the listener's 10 s deadline.

Python 3's standard library only. Run it against a listener of your own:
berth run --listen 127.0.0.1:8080 --config FILE.
"""

import socket
import sys
import threading
import time

SLOTS = 64


def connect(addr, timeout=2.0):
    host, port = addr
    return socket.create_connection((host, port), timeout=timeout)


def probe(addr):
    """GET /healthz: True when it is answered 200 within 2 s."""
    try:
        with connect(addr) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: berth\r\n\r\n")
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return data.startswith(b"HTTP/1.1 200 ")
    except OSError:
        return False


def probes(addr, seconds, every=0.5):
    """Probe every `every` seconds for `seconds`: (answered, sent)."""
    answered = sent = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        sent += 1
        answered += probe(addr)
        time.sleep(max(0.0, every - (time.monotonic() - started)))
    return answered, sent


def trickler(addr, stop, head, reconnect_every):
    """One attacking connection: a head, then a byte of body every 0.5 s,
    connecting again when dropped or every `reconnect_every` seconds."""
    while not stop.is_set():
        try:
            s = connect(addr)
        except OSError:
            time.sleep(0.1)
            continue
        opened = time.monotonic()
        try:
            s.sendall(head)
            while not stop.is_set() and time.monotonic() - opened < reconnect_every:
                s.sendall(b"x")
                stop.wait(0.5)
        except OSError:
            pass
        finally:
            s.close()


def flood(addr, head, reconnect_every, seconds):
    """SLOTS attackers sending `head` (then a trickle), and the probes."""
    stop = threading.Event()
    threads = [threading.Thread(target=trickler, args=(addr, stop, head, reconnect_every),
                                daemon=True) for _ in range(SLOTS)]
    for t in threads:
        t.start()
    time.sleep(1.0)  # every slot taken before the first probe
    try:
        return probes(addr, seconds)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=5)


def trickle(addr):
    head = (b"POST /hooks/github HTTP/1.1\r\nHost: berth\r\nX-GitHub-Event: push\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n")
    answered, sent = flood(addr, head, 9.5, 30)
    share = 100.0 * answered / sent
    print(f"figure: trickled bodies on {SLOTS} connections: /healthz answered {answered} "
          f"of {sent} probes ({share:.0f}%)")
    return share >= 95.0


def heads(addr):
    answered, sent = flood(addr, b"GET /healthz HTTP/1.1\r\nHost:", 9.5, 10)
    share = 100.0 * answered / sent
    print(f"figure: half heads on {SLOTS} connections: /healthz answered {answered} of "
          f"{sent} probes ({share:.0f}%)")
    return share >= 95.0


def bare_lf(addr):
    started = time.monotonic()
    with connect(addr, timeout=12) as s:
        s.sendall(b"GET /healthz HTTP/1.1\n")
        data = s.recv(4096)
    took = time.monotonic() - started
    status = data.split(b"\r\n")[0].decode(errors="replace")
    print(f"figure: a bare LF answered '{status}' in {took * 1000:.0f} ms")
    return data.startswith(b"HTTP/1.1 400 ") and took < 2.0


ATTACKS = {"trickle": trickle, "heads": heads, "bare-lf": bare_lf}


def main(argv):
    if len(argv) < 2 or ":" not in argv[1]:
        print(__doc__, file=sys.stderr)
        return 2
    host, _, port = argv[1].rpartition(":")
    addr = (host.strip("[]"), int(port))
    names = argv[2:] or list(ATTACKS)
    failed = [name for name in names if not ATTACKS[name](addr)]
    for name in failed:
        print(f"FAIL: the listener did not hold against {name}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
