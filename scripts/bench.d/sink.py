#!/usr/bin/python3
"""A loopback socket sink for scripts/bench: the ceiling of moving bytes through a socket.

    sink.py raw|http PORTFILE LOGFILE

Listens on 127.0.0.1 on a free port (written to PORTFILE once listening) and serves one
connection at a time.  raw: reads until EOF.  http: reads one request's headers (answers
"Expect: 100-continue"), then Content-Length bytes of body, and answers 201.  Either way the
body is received into one 1 MiB buffer and thrown away; the byte count of each connection is
appended to LOGFILE.  SIGTERM stops it.
"""
import os
import signal
import socket
import sys


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("raw", "http"):
        sys.exit(__doc__)
    mode, portfile, logfile = sys.argv[1:]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    buf = bytearray(1 << 20)
    mv = memoryview(buf)
    log = open(logfile, "a")
    while True:
        c, _ = s.accept()
        n = 0
        try:
            if mode == "http":
                head = b""
                while b"\r\n\r\n" not in head:
                    data = c.recv(65536)
                    if not data:
                        break
                    head += data
                head, _, rest = head.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"expect" and value.strip().lower() == b"100-continue":
                        c.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                n = len(rest)
                while n < length:
                    k = c.recv_into(mv)
                    if not k:
                        break
                    n += k
                # logged before answering: the client's end is the sink's end too
                log.write("%d\n" % n)
                log.flush()
                c.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            else:
                while True:
                    k = c.recv_into(mv)
                    if not k:
                        break
                    n += k
                log.write("%d\n" % n)
                log.flush()
        except OSError as e:
            log.write("error %s\n" % e)
            log.flush()
        finally:
            c.close()


if __name__ == "__main__":
    main()
