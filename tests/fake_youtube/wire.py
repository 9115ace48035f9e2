"""HTTP plumbing: a threaded HTTP/1.1 keep-alive server that hands each GET to a backend.

Every reply is written in one ``sendall`` (status line, headers with Content-Length, body),
with Nagle off, so keep-alive clients never wait on delayed ACKs.
"""

from __future__ import annotations

import socket
import struct
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

ROUTES = {
    "/youtube/v3/channels": "channels.list",
    "/youtube/v3/videos": "videos.list",
    "/youtube/v3/playlistItems": "playlistItems.list",
    "/youtube/v3/search": "search.list",
}
JSON_TYPE = "application/json; charset=UTF-8"
HTML_TYPE = "text/html; charset=utf-8"
TIMEOUT_SECONDS = 30.0  # longer than any sane client read timeout


@dataclass
class Outcome:
    status: int
    body: bytes
    action: str = "reply"  # "reply" | "timeout" (no reply, then close) | "reset" (RST)
    headers: tuple[tuple[str, str], ...] = ()


class Backend(Protocol):
    stopping: threading.Event

    def api(
        self, method: str, path: str, params: dict[str, list[str]], key: str | None, at: float
    ) -> Outcome: ...

    def page(self, path: str, cookie: str, at: float) -> Outcome: ...

    def track(self, conn: socket.socket, add: bool) -> None: ...


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # 100 clients may connect at once

    def __init__(self, backend: Backend) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.backend = backend

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (a killed worker, a timed-out read) is normal here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.server.backend.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.backend.track(self.connection, False)

    def do_GET(self) -> None:
        arrived = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        backend = self.server.backend
        split = urlsplit(self.path)
        try:
            method = ROUTES.get(split.path.rstrip("/"))
            if method is not None:
                params = parse_qs(split.query, keep_blank_values=True)
                key = self.headers.get("X-Goog-Api-Key") or next(iter(params.get("key", [])), None)
                self._finish(backend.api(method, split.path, params, key, arrived), JSON_TYPE)
            else:
                self._finish(
                    backend.page(self.path, self.headers.get("Cookie", ""), arrived), HTML_TYPE
                )
        except Exception:
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            self._send(Outcome(500, b"fake_youtube crashed; see stderr"), "text/plain")

    def _finish(self, out: Outcome, ctype: str) -> None:
        if out.action == "timeout":
            self.server.backend.stopping.wait(TIMEOUT_SECONDS)
            self.close_connection = True
        elif out.action == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.rfile.close()
            self.connection.close()  # last reference gone: the kernel answers with RST
        else:
            self._send(out, ctype)

    def _send(self, out: Outcome, ctype: str) -> None:
        lines = [
            f"HTTP/1.1 {out.status} {HTTPStatus(out.status).phrase}",
            f"Content-Type: {ctype}",
            f"Content-Length: {len(out.body)}",
            f"Date: {formatdate(usegmt=True)}",
            "Server: scaffolding on HTTPServer2",
            *(f"{name}: {value}" for name, value in out.headers),
        ]
        if self.close_connection:
            lines.append("Connection: close")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + out.body)
