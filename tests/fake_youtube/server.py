"""A fake YouTube Data API v3 (and channel web pages) on a real loopback HTTP server.

Replies are built from the recorded bodies in ``samples/`` (see ``samples.py``/``items.py``).

Keys: the key is read from the ``X-Goog-Api-Key`` header, else from ``?key=``. A request with
no key or an unknown key gets the current 400 ``API_KEY_INVALID`` body; see ``add_key`` for
the other key states.

Charging rule (units, as the real quota counts them):

- cost per request: channels.list, videos.list, playlistItems.list 1 unit; search.list 100
  units plus one call from the key's separate search bucket (``search_budget``);
- a request is charged its cost only if it reached a valid key with quota left, i.e. it was
  answered 200, or 4xx for a reason other than the key or the quota (bad parameters,
  ``playlistNotFound``, ``mine`` without OAuth);
- key errors, quota errors and injected faults (5xx, 429, rate limits, quotaExceeded,
  malformed, truncated, timeout, reset) charge 0; web pages charge 0;
- quota is checked BEFORE charging: a request whose cost would take its project's budget past
  the limit (or a search.list past the search bucket) is answered 403 quotaExceeded, and
  charges nothing. Keys given the same ``project`` share one budget and one search bucket.

Order of checks for an API request: hold (wait for ``release``), latency, injected fault
(``fail_next`` first, then chaos), key, quota, then the method's own validation and reply.
"""

from __future__ import annotations

import base64
import contextlib
import random
import socket
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import pages, samples
from .api import Store
from .items import Channel, Video, channel_item, channel_published_at, video_item
from .ledger import COSTS, FAULT_KINDS, KEY_STATES, Ledger, RecordedRequest
from .wire import Outcome, Server

__all__ = ["COSTS", "FAULT_KINDS", "KEY_STATES", "FakeYouTube", "RecordedRequest"]


class FakeYouTube:
    """See the module docstring. ``start()`` it (or use ``with``), point a client at base_url."""

    def __init__(self, *, latency: float = 0.0) -> None:
        self.latency = latency
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._open = threading.Event()
        self._open.set()
        self._id_rng = random.Random(20240101)
        self._conns: set[socket.socket] = set()
        self._httpd: Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""
        self.web_base_url = ""
        self._store = Store()
        self._ledger = Ledger()
        self._held = 0
        self._video_seq = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeYouTube:
        if self._httpd is not None:
            return self
        self.stopping.clear()
        httpd = Server(self)
        port = httpd.server_address[1]
        self.web_base_url = f"http://127.0.0.1:{port}"
        self.base_url = f"{self.web_base_url}/youtube/v3"
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name=f"fake-youtube-{port}",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake held/sleeping requests and close open keep-alive connections."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self.stopping.set()
        self._open.set()
        httpd.shutdown()
        httpd.server_close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> FakeYouTube:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget channels, videos, keys, the log, counters, faults and chaos; latency back
        to 0; release a hold."""
        with self._lock:
            self._store = Store()
            self._ledger = Ledger()
            self._video_seq = 0
        self.latency = 0.0
        self._open.set()

    # -- data --------------------------------------------------------------------------------

    def _new_id(self, prefix: str, nbytes: int, length: int, taken: dict[str, Any]) -> str:
        while True:
            raw = self._id_rng.getrandbits(nbytes * 8).to_bytes(nbytes, "big")
            new = prefix + base64.urlsafe_b64encode(raw).decode()[:length]
            if new not in taken:
                return new

    def add_channel(
        self,
        channel_id: str | None = None,
        *,
        title: str = "Test Channel",
        handle: str | None = None,
        username: str | None = None,
        custom_name: str | None = None,
        subscriber_count: int = 1230,
        hidden_subscriber_count: bool = False,
        view_count: int = 45678,
        video_count: int = 0,
        country: str | None = "US",
        description: str = "",
        keywords: str = "",
        topic_categories: list[str] | None = None,
        uploads: bool = True,
        page_style: str = "initial_data",
        published_at: str | None = None,
        default_language: str | None = None,
    ) -> dict[str, Any]:
        """Add (or replace) a channel; returns its item with every part."""
        if page_style not in pages.PAGE_STYLES:
            raise ValueError(f"page_style must be one of {pages.PAGE_STYLES}")
        with self._lock:
            cid = channel_id or self._new_id("UC", 16, 22, self._store.channels)
            old = self._store.channels.get(cid)
            ch = Channel(
                id=cid,
                title=title,
                handle=handle.removeprefix("@") if handle else None,
                username=username,
                custom_name=custom_name,
                subscriber_count=subscriber_count,
                hidden_subscriber_count=hidden_subscriber_count,
                view_count=view_count,
                video_count=video_count,
                country=country,
                description=description,
                keywords=keywords,
                topic_categories=list(topic_categories or []),
                uploads=uploads,
                page_style=page_style,
                published_at=published_at or channel_published_at(cid),
                default_language=default_language,
                video_ids=old.video_ids if old else [],
            )
            self._store.add_channel(ch)
            parts = {
                "snippet",
                "contentDetails",
                "statistics",
                "brandingSettings",
                "topicDetails",
                "status",
            }
            return channel_item(ch, parts, self._store.video_count(ch))

    def add_video(
        self,
        channel_id: str,
        video_id: str | None = None,
        *,
        title: str = "Test video",
        published_at: str | None = None,
        duration: str = "PT4M13S",
        view_count: int = 100,
        like_count: int | None = 10,
        comment_count: int | None = 2,
        live_broadcast_content: str = "none",
        made_for_kids: bool = False,
        tags: list[str] | None = None,
        category_id: str = "28",
        default_language: str | None = "en",
        description: str = "",
    ) -> dict[str, Any]:
        """Add a video to a channel's uploads (newest first); returns its videos.list item."""
        with self._lock:
            ch = self._store.channels.get(channel_id)
            if ch is None:
                raise KeyError(f"add_channel({channel_id!r}) first")
            vid = video_id or self._new_id("", 8, 11, self._store.videos)
            if published_at is None:
                self._video_seq += 1
                when = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=self._video_seq)
                published_at = when.strftime("%Y-%m-%dT%H:%M:%SZ")
            old = self._store.videos.get(vid)
            if old is not None:
                prev = self._store.channels.get(old.channel_id)
                if prev is not None and vid in prev.video_ids:
                    prev.video_ids.remove(vid)
            video = Video(
                id=vid,
                channel_id=channel_id,
                title=title,
                description=description,
                published_at=published_at,
                duration=duration,
                view_count=view_count,
                like_count=like_count,
                comment_count=comment_count,
                live_broadcast_content=live_broadcast_content,
                made_for_kids=made_for_kids,
                tags=list(tags or []),
                category_id=category_id,
                default_language=default_language,
            )
            self._store.videos[vid] = video
            ch.video_ids.append(vid)
            ch.video_ids.sort(key=lambda v: _when(self._store.videos[v].published_at), reverse=True)
            return video_item(
                video, ch.title, {"snippet", "contentDetails", "status", "statistics"}
            )

    def remove_video(self, video_id: str) -> None:
        """The video vanishes from videos.list but stays in its uploads playlist."""
        with self._lock:
            self._store.videos[video_id].removed = True

    # -- keys and accounting ------------------------------------------------------------------

    def add_key(
        self,
        key: str,
        *,
        budget: int | None = None,
        state: str = "valid",
        project: str | None = None,
        search_budget: int | None = None,
    ) -> None:
        """Register (or re-register) a key; ``state`` is one of ``KEY_STATES``.

        ``budget`` (units/day, default 10_000) and ``search_budget`` (search.list calls/day,
        default 100) belong to the key's project; keys with the same ``project`` share them.
        When given on a later add_key for the same project they replace its limits; left out,
        the project's limits stay as they are.
        """
        with self._lock:
            self._ledger.add_key(key, budget, state, project, search_budget)

    def new_day(self) -> None:
        """The daily reset: every project's spent units and search calls go back to 0."""
        with self._lock:
            self._ledger.new_day()

    @property
    def units_by_key(self) -> dict[str, int]:
        """Units charged per key (a copy); every added key is present, 0 if unused."""
        with self._lock:
            return dict(self._ledger.units_by_key)

    @property
    def requests(self) -> list[RecordedRequest]:
        """The request log in arrival-decision order (a copy; the last 200_000 requests)."""
        with self._lock:
            return list(self._ledger.log)

    def units(self, method: str | None = None) -> int:
        with self._lock:
            by_method = self._ledger.units_by_method
            return sum(by_method.values()) if method is None else by_method[method]

    def calls(self, method: str | None = None) -> int:
        """Requests received: every one (API and pages) if method is None; pages are "page"."""
        with self._lock:
            by_method = self._ledger.calls_by_method
            return sum(by_method.values()) if method is None else by_method[method]

    # -- faults ------------------------------------------------------------------------------

    def fail_next(self, count: int, kind: str, *, method: str | None = None) -> None:
        with self._lock:
            self._ledger.fail_next(count, kind, method)

    def set_chaos(self, rates: dict[str, float], *, seed: int = 0) -> None:
        with self._lock:
            self._ledger.set_chaos(rates, seed)

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def held_count(self) -> int:
        with self._lock:
            return self._held

    # -- the wire.Backend side (called from handler threads) ----------------------------------

    def track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    def _pause(self) -> None:
        if not self._open.is_set():
            with self._lock:
                self._held += 1
            try:
                self._open.wait()
            finally:
                with self._lock:
                    self._held -= 1
        latency = self.latency
        if latency > 0:
            self.stopping.wait(latency)

    def api(
        self, method: str, path: str, params: dict[str, list[str]], key: str | None, at: float
    ) -> Outcome:
        self._pause()
        with self._lock:
            units_before = self._ledger.units_by_method[method]
            out = self._decide(method, params, key)
            units = self._ledger.units_by_method[method] - units_before
            self._ledger.record(RecordedRequest(method, path, params, key, out.status, units, at))
        return out

    def _decide(self, method: str, params: dict[str, list[str]], key: str | None) -> Outcome:
        kind = self._ledger.take_fault(method)
        if kind in ("timeout", "reset"):
            return Outcome(0, b"", kind)
        if kind == "malformed":
            return Outcome(200, samples.MALFORMED_BODY)
        if kind == "truncated":
            body = self._serve(method, params)[1]
            return Outcome(200, body[: len(body) // 2])
        error = kind or self._ledger.admit(method, key)
        if error is not None:
            return Outcome(*samples.error_reply(error))
        return Outcome(*self._serve(method, params))

    def _serve(self, method: str, params: dict[str, list[str]]) -> tuple[int, bytes]:
        store = self._store
        handler = {
            "channels.list": store.channels_list,
            "videos.list": store.videos_list,
            "playlistItems.list": store.playlist_items_list,
            "search.list": store.search_list,
        }[method]
        return handler(params)

    def page(self, path: str, cookie: str, at: float) -> Outcome:
        latency = self.latency
        if latency > 0:
            self.stopping.wait(latency)
        with self._lock:
            status, body, headers = pages.serve(self._store, path, cookie, self.web_base_url)
            params = parse_qs(urlsplit(path).query, keep_blank_values=True)
            self._ledger.record(RecordedRequest("page", path, params, None, status, 0, at))
        return Outcome(status, body, headers=tuple(headers))


def _when(stamp: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(stamp)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
