#!/usr/bin/python3
"""A tiny backend for bigupload_pass (the README's example).

nginx POSTs it one JSON notice per finished upload, with the client's
headers: {"result", "path", "size", "sha256", "file", "created"}.  It
prints one line per file and answers the client with JSON of its own.

    python3 scripts/example-backend.py [port]        (default 9000)
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Notice(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        notice = json.loads(self.rfile.read(length))
        who = self.headers.get("Authorization", "anonymous")
        print(f"received {notice['path']} ({notice['size']} bytes, sha256 "
              f"{notice['sha256']}) in {notice['file']} from {who}", flush=True)

        answer = json.dumps({"ok": True, "path": notice["path"],
                             "sha256": notice["sha256"]}).encode()
        self.send_response(201 if notice.get("created") else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9000
    HTTPServer(("127.0.0.1", port), Notice).serve_forever()
