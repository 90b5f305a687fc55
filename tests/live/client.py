#!/usr/bin/python3
"""The client side of the live tests (tests/live): plain TCP sockets and
HTTP/1.0 requests to the VIP, run in the client namespace.  No scapy: what
crosses the balancer is what the kernel's TCP stack sends.

  client.py requests SRC_IP VIP N [PARALLEL [FIRST_PORT]]
      N requests for /whoami, each on a new connection from SRC_IP, from
      source ports FIRST_PORT, FIRST_PORT + 1, ... (default: ephemeral
      ones), so each is a new flow - a test gives each call its own range,
      since a 5-tuple used again is the same flow to Maglev's connection
      table.  Prints one line per request: "SPORT BACKEND" or "SPORT error
      WHY".
  client.py downloads SRC_IP VIP N RATE READY_FILE
      N slow downloads of /big at once, each read at RATE bytes/s; once all
      have their first bytes (the backend's name), writes READY_FILE.
      Prints "SPORT BACKEND BYTES ok|broken WHY" per download at the end:
      ok when the whole file came, all of it from one backend.
  client.py blocked SRC_IP VIP N TIMEOUT
      N connection attempts at once; prints "SPORT connected" or
      "SPORT refused|timeout".
  client.py inject IFACE DST_MAC
      writes malformed and non-IP frames to the balancer's MAC through an
      AF_PACKET socket; prints how many.
"""
import socket
import struct
import sys
import threading
import time

BIG = 8 << 20


def connect(src, vip, timeout, sport=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, sport))
    sport = s.getsockname()[1]
    try:
        s.connect((vip, 80))
    except OSError:
        s.close()
        raise ConnectError(sport)
    return s, sport


class ConnectError(Exception):
    def __init__(self, sport):
        super().__init__(sport)
        self.sport = sport


def http_get(s, path):
    s.sendall(("GET %s HTTP/1.0\r\nHost: vip\r\n\r\n" % path).encode())


def read_all(s):
    chunks = []
    while True:
        b = s.recv(65536)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def body_of(resp):
    head, _, body = resp.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.0 200"):
        raise ValueError("status %r" % head.split(b"\r\n")[0])
    return body


def one_request(src, vip, out, lock, sport=0):
    try:
        s, sport = connect(src, vip, 10, sport)
    except ConnectError as e:
        with lock:
            out.append("%d error connect" % e.sport)
        return
    try:
        http_get(s, "/whoami")
        line = "%d %s" % (sport, body_of(read_all(s)).decode().strip())
    except (OSError, ValueError) as e:
        line = "%d error %s" % (sport, str(e).replace(" ", "_"))
    finally:
        s.close()
    with lock:
        out.append(line)


def requests(src, vip, n, parallel=4, first_port=0):
    out, lock, left, first = [], threading.Lock(), [int(n)], int(first_port)

    def worker():
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
                port = first + left[0] if first else 0
            one_request(src, vip, out, lock, port)

    threads = [threading.Thread(target=worker) for _ in range(int(parallel))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("\n".join(out))


def downloads(src, vip, n, rate, ready_file):
    n, rate = int(n), float(rate)
    results, started, lock = [], [], threading.Lock()
    reached = [0]                   # downloads that started or failed first
    all_started = threading.Event()

    def reach():
        with lock:
            reached[0] += 1
            if reached[0] == n:
                all_started.set()

    def one():
        sport, backend, got, why = 0, "?", 0, ""
        try:
            s, sport = connect(src, vip, 10)
            s.settimeout(30)
            http_get(s, "/big")
            buf = b""
            while b"\r\n\r\n" not in buf:
                b = s.recv(4096)
                if not b:
                    raise OSError("closed before the headers")
                buf += b
            body = body_of(buf)
            while len(body) < 8:
                body += s.recv(4096)
            backend = body[:body.index(b" ")].decode()
            expect = ((backend + " ") * (BIG // (len(backend) + 1) + 1)).encode()[:BIG]
            with lock:
                started.append(sport)
            reach()
            t0, got, same = time.monotonic(), len(body), expect.startswith(body)
            while True:
                b = s.recv(16384)
                if not b:
                    break
                same = same and expect[got:got + len(b)] == b
                got += len(b)
                ahead = got / rate - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)
            s.close()
            if not same:
                why = "content_from_another_backend"
            elif got != BIG:
                why = "short_%d" % got
        except ConnectError as e:
            sport, why = e.sport, "connect"
        except (OSError, ValueError) as e:
            why = str(e).replace(" ", "_") or type(e).__name__
        with lock:
            results.append("%d %s %d %s %s" % (sport, backend, got, "broken" if why else "ok", why))
            first = sport not in started
        if first:
            reach()

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    all_started.wait(60)
    with open(ready_file, "w") as f:
        f.write("%d\n" % len(started))
    for t in threads:
        t.join()
    print("\n".join(results))


def blocked(src, vip, n, timeout):
    out, lock = [], threading.Lock()

    def one():
        try:
            s, sport = connect(src, vip, float(timeout))
            s.close()
            line = "%d connected" % sport
        except ConnectError as e:
            line = "%d timeout" % e.sport
        with lock:
            out.append(line)

    threads = [threading.Thread(target=one) for _ in range(int(n))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("\n".join(out))


def ip_header(total, proto=6, frag=0, ihl=5, version=4):
    return struct.pack("!BBHHHBBH4s4s", version << 4 | ihl, 0, total, 1, frag, 64, proto, 0,
                       socket.inet_aton("198.18.1.10"), socket.inet_aton("198.18.100.1"))


def inject(iface, dst_mac):
    dst = bytes.fromhex(dst_mac.replace(":", ""))
    src = bytes.fromhex("021d00000001")
    eth = lambda t: dst + src + struct.pack("!H", t)
    tcp = struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, 5 << 4, 2, 8192, 0, 0)
    # No fragments: DPDK's af_packet PMD joins a PACKET_FANOUT group with
    # PACKET_FANOUT_FLAG_DEFRAG, so the kernel holds a lone fragment for
    # reassembly and it never reaches the pipeline (tests/demo's traces
    # cover the parse stage's fragment drop).
    frames = [
        eth(0x0800),                                        # IPv4 EtherType, no header
        eth(0x0800) + ip_header(40)[:12],                   # IPv4 header cut
        eth(0x0800) + ip_header(40, version=6) + tcp,       # version 6 in an IPv4 frame
        eth(0x0800) + ip_header(40, ihl=3) + tcp,           # IHL < 5
        eth(0x0800) + ip_header(400) + tcp,                 # total length past the frame
        eth(0x0800) + ip_header(28, proto=1) + bytes(8),    # ICMP
        eth(0x0800) + ip_header(40)[:20] + tcp[:12] + bytes([0x20]) + tcp[13:],  # TCP offset 2
        eth(0x0800) + ip_header(28, proto=17) + struct.pack("!HHHH", 1, 53, 4, 0),  # UDP len 4
        eth(0x86dd) + bytes(60),                            # IPv6
        eth(0x0806) + bytes(28),                            # ARP
        eth(0x8100) + struct.pack("!HH", 7, 0x0800) + ip_header(40) + tcp,  # VLAN tag
        eth(0x88b5) + b"local experimental ethertype",
    ]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    n = 0
    for _ in range(20):
        for f in frames:
            s.send(f)
            n += 1
    s.close()
    print(n)


if __name__ == "__main__":
    cmds = {"requests": requests, "downloads": downloads, "blocked": blocked, "inject": inject}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
