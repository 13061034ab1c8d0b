"""What the Python benchmarks (scripts/bench-concat, scripts/bench-completion)
share: a free port, the counters of a process, and an nginx with the module
on 127.0.0.1 with one worker."""

import os
import socket
import subprocess
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MIB = 1 << 20


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def proc_io(pid):
    """/proc/<pid>/io (rchar, wchar, read_bytes, write_bytes, ...) and the
    process's CPU seconds (user + system, all threads)."""
    out = {}
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            k, v = line.split(":")
            out[k.strip()] = int(v)
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    out["cpu_s"] = (int(fields[11]) + int(fields[12])) / tick
    return out


def workers(master):
    with open(f"/proc/{master}/task/{master}/children") as f:
        return [int(p) for p in f.read().split()]


def wait_worker(master, old=None, timeout=10.0):
    """The master's worker, once there is one other than "old"."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        w = [p for p in workers(master) if p != old]
        if w:
            return w[0]
        time.sleep(0.05)
    raise RuntimeError("nginx started no worker")


def start_nginx(root, locations, module=None, events="worker_connections 64;"):
    """nginx on a free loopback port, its prefix "root": "locations" is the
    server block's location text.  Returns (process, port, worker pid)."""
    module = module or os.path.join(REPO, "build", "ngx_http_bigupload_module.so")
    port = free_port()
    for d in ("logs", "tmp"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    conf = os.path.join(root, "nginx.conf")
    user = "user root;" if os.geteuid() == 0 else ""
    with open(conf, "w") as f:
        f.write(f"""load_module {module};
worker_processes 1;
daemon off;
{user}
error_log {root}/logs/error.log notice;
pid {root}/logs/nginx.pid;
events {{ {events} }}
http {{
    access_log off;
    client_body_temp_path {root}/tmp;
    server {{
        listen 127.0.0.1:{port};
{locations}
    }}
}}
""")
    p = subprocess.Popen(["/usr/sbin/nginx", "-p", root, "-c", conf])
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if p.poll() is not None:
                raise RuntimeError(f"nginx exited with {p.returncode}: see {root}/logs/error.log")
            time.sleep(0.1)
    return p, port, wait_worker(p.pid)
