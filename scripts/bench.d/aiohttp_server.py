#!/usr/bin/python3
"""The original tool's server, in its shape: an aiohttp app (Debian's python3-aiohttp) that
streams a PUT or POST body into <store>/<remote path> with request.content.iter_chunked(),
writing each chunk as it arrives from the event loop.  No temp file, no hash, no fsync:
what the Python bgserver did, kept as the reference contender for scripts/bench.

    aiohttp_server.py HOST PORT STORE [CHUNK_BYTES]      (default chunk 1 MiB)

PUT/POST /<remote path> -> 201 {"path": ..., "size": ...};  GET /ping -> "ok".
SIGTERM or SIGINT stops it.
"""
import os
import sys

from aiohttp import web


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    host, port, store = sys.argv[1], int(sys.argv[2]), os.path.abspath(sys.argv[3])
    chunk = int(sys.argv[4]) if len(sys.argv) == 5 else 1 << 20

    async def ping(request):
        return web.Response(text="ok")

    async def upload(request):
        parts = request.match_info["path"].split("/")
        if not parts or any(p in ("", ".", "..") or "\\" in p for p in parts):
            return web.json_response({"error": "bad_path"}, status=400)
        path = os.path.join(store, *parts)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        size = 0
        with open(path, "wb") as f:
            async for data in request.content.iter_chunked(chunk):
                f.write(data)
                size += len(data)
        return web.json_response({"path": "/" + "/".join(parts), "size": size}, status=201)

    app = web.Application()
    app.router.add_get("/ping", ping)
    app.router.add_route("PUT", "/{path:.+}", upload)
    app.router.add_route("POST", "/{path:.+}", upload)
    web.run_app(app, host=host, port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
