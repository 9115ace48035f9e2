"""The keep-alive HTTP client: reuse, stale connections, timeouts, failures, many threads."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from collector.httpclient import HttpClient, HttpError, HttpTimeout
from tests.conftest import API_KEY
from tests.fake_youtube import FakeYouTube


class CountingServer(ThreadingHTTPServer):
    """Answers every GET with 200 "ok"; counts connections; can hang up after each reply."""

    daemon_threads = True

    def __init__(self, *, hang_up: bool) -> None:
        super().__init__(("127.0.0.1", 0), _CountingHandler)
        self.hang_up = hang_up
        self.connections = 0
        self.requests = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/path"


class _CountingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CountingServer

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1

    def do_GET(self) -> None:
        self.server.requests += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
        # Hanging up without "Connection: close" leaves the client a dead idle connection.
        self.close_connection = self.server.hang_up

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[CountingServer]:
    httpd = CountingServer(hang_up=getattr(request, "param", False))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture
def http() -> Iterator[HttpClient]:
    client = HttpClient(connect_timeout=1.0, read_timeout=1.0)
    yield client
    client.close()


def test_sequential_requests_reuse_one_connection(server: CountingServer, http: HttpClient) -> None:
    replies = [http.get(server.url) for _ in range(5)]

    assert [(r.status_code, r.content) for r in replies] == [(200, b"ok")] * 5
    assert (server.connections, server.requests) == (1, 5)


@pytest.mark.parametrize("server", [True], indirect=True, ids=["server-hangs-up"])
def test_a_connection_the_server_closed_is_replaced_not_failed(
    server: CountingServer, http: HttpClient
) -> None:
    first = http.get(server.url)
    time.sleep(0.1)  # the server has closed its end by now
    second = http.get(server.url)

    assert (first.status_code, second.status_code) == (200, 200)
    assert (server.connections, server.requests) == (2, 2)


def test_parameters_and_headers_reach_the_api(youtube: FakeYouTube, http: HttpClient) -> None:
    params = {"part": "snippet,statistics", "forHandle": "@café & co=1"}

    reply = http.get(
        youtube.base_url + "/channels", params=params, headers={"X-Goog-Api-Key": API_KEY}
    )

    assert reply.status_code == 200
    assert reply.headers.get("content-type", "").startswith("application/json")
    request = youtube.requests[-1]
    assert request.key == API_KEY
    assert request.params == {"part": ["snippet,statistics"], "forHandle": ["@café & co=1"]}


def test_a_reply_that_never_comes_times_out_and_the_client_recovers(
    youtube: FakeYouTube,
) -> None:
    http = HttpClient(connect_timeout=1.0, read_timeout=0.3)
    youtube.fail_next(1, "timeout")
    url = youtube.base_url + "/channels"
    headers = {"X-Goog-Api-Key": API_KEY}

    began = time.monotonic()
    with pytest.raises(HttpTimeout):
        http.get(url, params={"part": "id", "id": "UC"}, headers=headers)
    assert time.monotonic() - began < 2

    assert http.get(url, params={"part": "id", "id": "UC"}, headers=headers).status_code == 200


def test_a_reset_connection_is_an_error_that_names_no_url_or_key(
    youtube: FakeYouTube, http: HttpClient
) -> None:
    youtube.fail_next(1, "reset")

    with pytest.raises(HttpError) as caught:
        http.get(
            youtube.base_url + "/channels", params={"id": "x"}, headers={"X-Goog-Api-Key": API_KEY}
        )

    assert not isinstance(caught.value, HttpTimeout)
    text = str(caught.value) + repr(caught.value)
    assert API_KEY not in text and "127.0.0.1" not in text and "channels" not in text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_refused_connection_is_an_error(http: HttpClient) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # nothing listens here once the socket closes

    with pytest.raises(HttpError, match="ConnectionRefusedError"):
        http.get(f"http://127.0.0.1:{port}/")


def test_only_absolute_http_urls_are_accepted(http: HttpClient) -> None:
    with pytest.raises(ValueError, match="absolute http"):
        http.get("ftp://example.com/file")


def test_many_threads_share_one_client(youtube: FakeYouTube) -> None:
    http = HttpClient(connect_timeout=2.0, read_timeout=2.0, max_idle_per_host=4)
    youtube.latency = 0.01
    url = youtube.base_url + "/channels"

    def fetch(index: int) -> int:
        params = {"part": "id", "forHandle": f"@h{index}"}
        return http.get(url, params=params, headers={"X-Goog-Api-Key": API_KEY}).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(fetch, range(200)))

    assert statuses == [200] * 200
    assert youtube.calls("channels.list") == 200
    assert sum(idle.qsize() for idle in http._idle.values()) <= 4
    http.close()
    assert sum(idle.qsize() for idle in http._idle.values()) == 0
