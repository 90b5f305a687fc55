#!/usr/bin/python3
"""Checks which backend served each request of a live test against the
independent Python Maglev of tests/demo/check_demo.py (the NSDI'16 table
over XXH64/XXH3 written out from the spec), not against PDL's C code.

  check_maglev.py BACKENDS CLIENT_IP VIP RESULTS [MIN]
      BACKENDS: the names the balancer uses, comma-separated; RESULTS: the
      "SPORT BACKEND" lines of client.py requests.  Every request must have
      succeeded (at least MIN of them, default all lines) and been served
      by the backend Maglev picks for (CLIENT_IP, SPORT, VIP, 80, TCP).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "demo"))
from check_demo import maglev_table, pick  # noqa: E402


def main(names, client_ip, vip, results, minimum=None):
    names = names.split(",")
    table = maglev_table(names)
    lines = [l.split() for l in open(results) if l.strip()]
    errors = [l for l in lines if len(l) != 2]
    if errors:
        sys.exit("FAIL: %d of %d requests failed, e.g. %s" % (len(errors), len(lines),
                                                             " ".join(errors[0])))
    if minimum is not None and len(lines) < int(minimum):
        sys.exit("FAIL: %d requests, not %s" % (len(lines), minimum))
    wrong = [(sport, got, pick(table, client_ip, vip, int(sport), 80, 6))
             for sport, got in lines if got != pick(table, client_ip, vip, int(sport), 80, 6)]
    if wrong:
        sys.exit("FAIL: %d of %d requests served by another backend than Maglev's pick, "
                 "e.g. source port %s: %s, not %s" % ((len(wrong), len(lines)) + wrong[0]))
    share = {}
    for _, got in lines:
        share[got] = share.get(got, 0) + 1
    print("%d requests, each served by Maglev's pick for its 5-tuple: %s"
          % (len(lines), ", ".join("%s=%d" % kv for kv in sorted(share.items()))))


if __name__ == "__main__":
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    main(*sys.argv[1:])
