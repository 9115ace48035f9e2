"""A small keep-alive HTTP/1.1 client for GET requests, shared by every thread of a worker.

It does only what the YouTube client needs: a GET with query parameters and headers over
pooled connections (one idle pool per host), separate connect and read timeouts, and TLS with
certificate verification. It exists for speed: under a threads pool, httpx spent more worker
CPU per job than Celery itself (see the README's Performance section); ``http.client`` on
reused connections spends a fraction of it.

Errors are two classes, raised from nothing so that no URL or header travels with them:
``HttpTimeout`` (connecting or reading took too long) and ``HttpError`` (anything else that
kept a complete response from arriving), whose message is the name of its cause's class.
"""

from __future__ import annotations

import http.client
import queue
import select
import ssl
import threading
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlencode, urlsplit

USER_AGENT = "collector (+http.client)"

Connection = http.client.HTTPConnection
IdlePool = queue.LifoQueue[http.client.HTTPConnection]


class HttpError(Exception):
    """No complete response arrived: refused, reset, closed early, or not HTTP."""


class HttpTimeout(HttpError):
    """Connecting or reading took longer than its timeout."""


@dataclass(frozen=True)
class Response:
    status_code: int
    headers: Message  # case-insensitive ``get``
    content: bytes


class HttpClient:
    """GET over keep-alive connections; safe to share between threads."""

    def __init__(
        self, *, connect_timeout: float, read_timeout: float, max_idle_per_host: int = 10
    ) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_idle_per_host = max_idle_per_host
        self._idle: dict[tuple[str, str], IdlePool] = {}
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None

    def get(
        self, url: str, params: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("only absolute http and https URLs are supported")
        target = (parts.path or "/") + ("?" + urlencode(params) if params else "")
        idle = self._idle_pool(parts.scheme, parts.netloc)
        connection = self._checkout(idle, parts.scheme, parts.netloc)
        try:
            connection.request("GET", target, headers={"User-Agent": USER_AGENT, **(headers or {})})
            reply = connection.getresponse()
            response = Response(reply.status, reply.headers, reply.read())
        except TimeoutError:
            connection.close()
            raise HttpTimeout("the request timed out") from None
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise HttpError(type(exc).__name__) from None
        if reply.will_close:
            connection.close()
        else:
            self._checkin(idle, connection)
        return response

    def close(self) -> None:
        """Close every idle connection; the client stays usable."""
        with self._lock:
            pools = list(self._idle.values())
        for idle in pools:
            while True:
                try:
                    idle.get_nowait().close()
                except queue.Empty:
                    break

    def _idle_pool(self, scheme: str, netloc: str) -> IdlePool:
        key = (scheme, netloc)
        idle = self._idle.get(key)
        if idle is None:
            with self._lock:
                idle = self._idle.setdefault(key, queue.LifoQueue())
        return idle

    def _checkout(self, idle: IdlePool, scheme: str, netloc: str) -> Connection:
        """The most recently used idle connection that the server has not closed, or a new one."""
        while True:
            try:
                connection = idle.get_nowait()
            except queue.Empty:
                return self._connect(scheme, netloc)
            if _usable(connection):
                return connection
            connection.close()

    def _checkin(
        self,
        idle: IdlePool,
        connection: Connection,
    ) -> None:
        if idle.qsize() < self.max_idle_per_host:
            idle.put(connection)
        else:
            connection.close()

    def _connect(self, scheme: str, netloc: str) -> Connection:
        connection: Connection
        if scheme == "https":
            connection = http.client.HTTPSConnection(
                netloc, timeout=self.connect_timeout, context=self._tls_context()
            )
        else:
            connection = http.client.HTTPConnection(netloc, timeout=self.connect_timeout)
        try:
            connection.connect()
        except TimeoutError:
            connection.close()
            raise HttpTimeout("connecting timed out") from None
        except OSError as exc:
            connection.close()
            raise HttpError(type(exc).__name__) from None
        assert connection.sock is not None
        connection.sock.settimeout(self.read_timeout)
        return connection

    def _tls_context(self) -> ssl.SSLContext:
        # Built on first HTTPS use: loading the CA store costs tens of milliseconds.
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls


def _usable(connection: Connection) -> bool:
    """An idle keep-alive connection is usable unless the server closed it (it reads as ready)."""
    sock = connection.sock
    if sock is None:
        return False
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return not poller.poll(0)
