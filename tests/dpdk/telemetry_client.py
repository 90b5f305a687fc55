#!/usr/bin/python3
"""Asks a running DPDK process one telemetry question and prints the JSON reply.

    telemetry_client.py FILE_PREFIX COMMAND [--wait SECONDS]

Connects to /var/run/dpdk/FILE_PREFIX/dpdk_telemetry.v2 (a SOCK_SEQPACKET
socket; the server first sends a JSON greeting), waiting up to --wait seconds
for the socket to appear, then sends COMMAND (e.g. "/pd/stats") and prints
the reply, one JSON object, on stdout.  Exit 0 when a reply arrived.
"""
import argparse
import json
import os
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("prefix")
    ap.add_argument("command")
    ap.add_argument("--wait", type=float, default=10.0)
    a = ap.parse_args()
    run_dir = os.environ.get("RUNTIME_DIRECTORY", "/var/run/dpdk")
    path = os.path.join(run_dir, a.prefix, "dpdk_telemetry.v2")
    deadline = time.time() + a.wait
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            s.connect(path)
            break
        except OSError as e:
            s.close()
            if time.time() > deadline:
                print("telemetry_client: cannot connect to %s: %s" % (path, e), file=sys.stderr)
                return 1
            time.sleep(0.05)
    greeting = json.loads(s.recv(16384).decode())
    s.send(a.command.encode())
    reply = json.loads(s.recv(greeting.get("max_output_len", 16384)).decode())
    s.close()
    print(json.dumps(reply))
    return 0


if __name__ == "__main__":
    sys.exit(main())
