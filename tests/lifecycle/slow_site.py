"""A real HTTP server on 127.0.0.1 that answers very slowly: one byte per ``interval_s``,
in the body (``/body``) or already in the headers (``/headers``). robots.txt is 404."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def drip_server(interval_s: float = 0.2) -> Iterator[str]:
    """Yield the base URL; every dripping connection stops when the block ends."""
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path == "/robots.txt":
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            try:
                if self.path.startswith("/headers"):
                    self._drip(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: " + b"x" * 10_000
                    )
                else:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self._drip(b"<html><body>" + b"x" * 100_000)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _drip(self, data: bytes) -> None:
            for byte in data:
                if stop.is_set():
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(interval_s)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
