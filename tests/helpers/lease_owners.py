#!/usr/bin/env python3
"""Who held which source, from the logs of berth run's replicas in lease
mode, and whether any replica wrote a source's objects while another held
it, from the API server's audit log. For tests/e2e/lease.sh.

    lease_owners.py owners LOG...
        one "source replica" line per source a replica holds at the end of
        its log (a replica's log: the lines of one `berth run --replicas-mode
        lease`; its id is in its "started" line)

    lease_owners.py handovers LOG...
        how long a webhook handed over on a Lease took, from the line of the
        replica it reached to the line of the holder that took it:
        "N handed over: median M ms, max X ms"

    lease_owners.py writes --audit FILE --user USER --namespace NS
                    [--end ID=TIME]... LOG...
        checks each write (create, update, patch, delete; not a dry run) the
        replicas made as USER to a ConfigMap of NS, whose name is its source's:
        - no other replica held the source when the server received it;
        - the replica that made it held the source then (a write under way
          when its Lease was lost may land up to --grace seconds late).
        A replica's hold runs from its "lease acquired" line to its "lease
        given up" line, or to its --end (an RFC 3339 time: when it was
        killed), or to the end. Prints one line per write that breaks a
        rule, then a summary; exits 1 when any does.

Python 3's standard library only.
"""

import argparse
import collections
import datetime
import json
import re
import sys

LINE = re.compile(r'^time=(\S+) level=\S+ msg=(?:"([^"]*)"|(\S+))(.*)$')


def when(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def read_log(path):
    """The replica's id, and its holds: source -> [[start, end or None]]."""
    replica, holds = None, collections.defaultdict(list)
    with open(path, errors="replace") as f:
        for line in f:
            m = LINE.match(line.rstrip("\n"))
            if not m:
                continue
            t, msg, rest = when(m.group(1)), m.group(2) or m.group(3), m.group(4)
            fields = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', rest))
            if msg == "started":
                replica = fields.get("replica")
            source = fields.get("source")
            if msg == "lease acquired" and source:
                holds[source].append([t, None])
            elif msg == "lease given up" and source and holds[source] and \
                    holds[source][-1][1] is None:
                holds[source][-1][1] = t
    if not replica:
        sys.exit(f"{path}: no started line naming the replica")
    return replica, holds


def owners(logs):
    for path in logs:
        replica, holds = read_log(path)
        for source, spans in sorted(holds.items()):
            if spans and spans[-1][1] is None:
                print(source, replica)


def handovers(logs):
    sent, took = {}, {}
    for path in logs:
        with open(path, errors="replace") as f:
            for line in f:
                m = LINE.match(line.rstrip("\n"))
                msg = m and (m.group(2) or m.group(3))
                if msg not in ("webhook", "webhook handed over"):
                    continue
                fields = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', m.group(4)))
                # The delivery, as the replica it reached took it.
                if msg == "webhook" and fields.get("handed", '""') != '""':
                    sent[fields["delivery"]] = when(m.group(1))
                d = re.search(r"\(delivery (\S+), through", fields.get("what", ""))
                if d:
                    took[d.group(1)] = when(m.group(1))
    ms = sorted(1000 * (took[d] - sent[d]) for d in took if d in sent)
    if not ms:
        sys.exit("no webhook was handed over and taken")
    print(f"{len(ms)} handed over: median {ms[len(ms) // 2]:.0f} ms, max {ms[-1]:.0f} ms")


def writes(a):
    ends = {}
    for e in a.end:
        rid, t = e.split("=", 1)
        ends[rid] = when(t)
    holds = {}
    for path in a.logs:
        replica, h = read_log(path)
        for spans in h.values():
            for s in spans:
                if s[1] is None:
                    s[1] = ends.get(replica, float("inf"))
        holds[replica] = h
    bad = n = 0
    per = collections.Counter()
    with open(a.audit, errors="replace") as f:
        for line in f:
            if a.namespace not in line or "replica/" not in line:
                continue
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            ref = ev.get("objectRef") or {}
            if (ev.get("stage") != "ResponseComplete" or
                    (ev.get("user") or {}).get("username") != a.user or
                    ev.get("verb") not in ("create", "update", "patch", "delete") or
                    ref.get("resource") != "configmaps" or
                    ref.get("namespace") != a.namespace or
                    "dryRun" in ev.get("requestURI", "")):
                continue
            m = re.search(r"replica/(\S+)", ev.get("userAgent", ""))
            if not m:
                continue
            writer, source, t = m.group(1), ref.get("name"), \
                when(ev["requestReceivedTimestamp"])
            n += 1
            per[writer] += 1
            others = [r for r, h in holds.items() if r != writer and
                      any(s <= t <= e for s, e in h.get(source, []))]
            own = any(s <= t <= e + a.grace
                      for s, e in holds.get(writer, {}).get(source, []))
            if others or not own:
                bad += 1
                print(f"{ev['requestReceivedTimestamp']} {writer} {ev['verb']} "
                      f"configmaps {source}: " +
                      (f"held by {', '.join(others)}" if others
                       else "not held by its writer"))
    print(f"{n} writes by {len(per)} replicas "
          f"({', '.join(f'{r} {c}' for r, c in sorted(per.items()))}), {bad} in breach")
    sys.exit(1 if bad or not n else 0)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("owners")
    o.add_argument("logs", nargs="+")
    h = sub.add_parser("handovers")
    h.add_argument("logs", nargs="+")
    w = sub.add_parser("writes")
    w.add_argument("--audit", required=True)
    w.add_argument("--user", required=True)
    w.add_argument("--namespace", required=True)
    w.add_argument("--end", action="append", default=[])
    w.add_argument("--grace", type=float, default=1.0)
    w.add_argument("logs", nargs="+")
    a = ap.parse_args()
    if a.cmd == "owners":
        owners(a.logs)
    elif a.cmd == "handovers":
        handovers(a.logs)
    else:
        writes(a)


if __name__ == "__main__":
    main()
