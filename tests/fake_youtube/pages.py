"""Channel web pages (``/@handle``, ``/c/Name``, ``/user/Name``, ``/Name``, ``/channel/UC...``).

Each channel has a ``page_style`` that decides where (if anywhere) its page carries its id:

- ``initial_data``: ``var ytInitialData = {...};`` with ``metadata.channelMetadataRenderer
  .externalId``. A featured-channels shelf of OTHER channels comes first in the JSON, so the
  first ``"channelId"`` / ``UC...`` in the page is not this channel's.
- ``meta``: no ytInitialData; ``<meta itemprop="identifier">`` and ``<meta itemprop="channelId">``.
- ``canonical``: only ``<link rel="canonical" href="https://www.youtube.com/channel/UC...">``.
- ``consent``: without a ``SOCS`` cookie (any value) or a ``CONSENT`` cookie starting
  ``YES+``, a 302 to ``/consent?continue=<original URL>`` (a form with no channel id);
  with one, the ``initial_data`` page.
- ``none``: a 200 page with no channel id anywhere.
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from .api import Store
from .items import Channel, channel_id_from, custom_url, token

PAGE_STYLES = ("initial_data", "meta", "canonical", "consent", "none")
TABS = frozenset(
    {
        "featured",
        "videos",
        "shorts",
        "streams",
        "live",
        "playlists",
        "community",
        "channels",
        "about",
        "podcasts",
        "releases",
        "store",
        "search",
        "posts",
        "courses",
    }
)

Page = tuple[int, bytes, list[tuple[str, str]]]


def _find(store: Store, path: str) -> Channel | None:
    segments = [unquote(s) for s in urlsplit(path).path.split("/") if s]
    if not segments:
        return None
    first = segments[0]
    if first.startswith("@"):
        name, rest, attr = first[1:], segments[1:], "handle"
    elif first in ("c", "user", "channel") and len(segments) > 1:
        name, rest = segments[1], segments[2:]
        attr = {"c": "custom_name", "user": "username", "channel": "id"}[first]
    else:
        name, rest, attr = first, segments[1:], "legacy"
    if len(rest) > 1 or (rest and rest[0].lower() not in TABS):
        return None
    if attr == "id":
        return store.channels.get(name)
    wanted = name.casefold()
    for ch in store.channels.values():
        names = (ch.custom_name, ch.username) if attr == "legacy" else (getattr(ch, attr),)
        if any(n and n.casefold() == wanted for n in names):
            return ch
    return None


def _has_consent(cookie_header: str) -> bool:
    for chunk in cookie_header.split(";"):
        name, _, value = chunk.strip().partition("=")
        if (name == "SOCS" and value) or (name == "CONSENT" and value.startswith("YES+")):
            return True
    return False


def _doc(title: str, head: str, body: str) -> bytes:
    return (
        '<!DOCTYPE html><html style="font-size: 10px;font-family: Roboto, Arial, sans-serif;" '
        'lang="en"><head><meta http-equiv="origin-trial" content="' + token("ot", length=40) + '">'
        f"<title>{html.escape(title)}</title>"
        '<meta name="theme-color" content="rgba(255, 255, 255, 0.98)">'
        f"{head}</head><body>{body}</body></html>"
    ).encode()


def _others(store: Store, ch: Channel) -> list[tuple[str, str]]:
    """(id, title) of channels featured on ``ch``'s page: other known channels, else made up."""
    others = [(c.id, c.title) for c in store.channels.values() if c.id != ch.id][:3]
    n = 0
    while len(others) < 2:
        fake_id = channel_id_from("featured", ch.id, n)
        if fake_id != ch.id:
            others.append((fake_id, f"Featured channel {n + 1}"))
        n += 1
    return others


def _initial_data(store: Store, ch: Channel) -> dict[str, Any]:
    shelf = [
        {
            "gridChannelRenderer": {
                "channelId": oid,
                "title": {"simpleText": otitle},
                "navigationEndpoint": {
                    "browseEndpoint": {"browseId": oid, "canonicalBaseUrl": f"/channel/{oid}"}
                },
            }
        }
        for oid, otitle in _others(store, ch)
    ]
    section = {
        "itemSectionRenderer": {
            "contents": [
                {
                    "shelfRenderer": {
                        "title": {"runs": [{"text": "Featured channels"}]},
                        "content": {"horizontalListRenderer": {"items": shelf}},
                    }
                }
            ]
        }
    }
    tab = {
        "tabRenderer": {
            "title": "Home",
            "selected": True,
            "content": {"sectionListRenderer": {"contents": [section]}},
        }
    }
    url = custom_url(ch)
    vanity = f"http://www.youtube.com/{url}" if url else f"http://www.youtube.com/channel/{ch.id}"
    return {
        "responseContext": {"visitorData": token("visitor", ch.id, length=32)},
        "contents": {"twoColumnBrowseResultsRenderer": {"tabs": [tab]}},
        "header": {"pageHeaderRenderer": {"pageTitle": ch.title}},
        "metadata": {
            "channelMetadataRenderer": {
                "title": ch.title,
                "description": ch.description,
                "rssUrl": f"https://www.youtube.com/feeds/videos.xml?channel_id={ch.id}",
                "externalId": ch.id,
                "keywords": ch.keywords,
                "channelUrl": f"https://www.youtube.com/channel/{ch.id}",
                "isFamilySafe": True,
                "vanityChannelUrl": vanity,
            }
        },
    }


def channel_page(store: Store, ch: Channel, style: str) -> bytes:
    title = f"{ch.title} - YouTube"
    if style == "initial_data":
        data = json.dumps(_initial_data(store, ch), ensure_ascii=False).replace("</", "<\\/")
        cfg = '<script nonce="x">var ytcfg={"INNERTUBE_CONTEXT_CLIENT_NAME":1};</script>'
        body = (
            f'{cfg}<div id="content"></div><script nonce="x">var ytInitialData = {data};</script>'
        )
        return _doc(title, "", body)
    if style == "meta":
        head = (
            f'<meta property="og:title" content="{html.escape(ch.title)}">'
            f'<meta itemprop="name" content="{html.escape(ch.title)}">'
            f'<meta itemprop="identifier" content="{ch.id}">'
            f'<meta itemprop="channelId" content="{ch.id}">'
        )
        links = "".join(
            f'<a href="/channel/{oid}">{html.escape(ot)}</a>' for oid, ot in _others(store, ch)
        )
        return _doc(title, head, f'<div id="featured">{links}</div>')
    if style == "canonical":
        head = f'<link rel="canonical" href="https://www.youtube.com/channel/{ch.id}">'
        return _doc(title, head, '<div id="content"></div>')
    return _doc(title, "", '<div id="content"><p>This page is not available.</p></div>')


def consent_page(continue_url: str) -> bytes:
    hidden = html.escape(continue_url, quote=True)
    body = (
        '<form action="https://consent.youtube.com/save" method="POST">'
        f'<input type="hidden" name="continue" value="{hidden}">'
        '<input type="hidden" name="set_eom" value="true">'
        "<h1>Before you continue to YouTube</h1>"
        "<p>We use cookies and data to deliver and maintain Google services.</p>"
        '<button name="set_ytc" value="true">Accept all</button>'
        '<button name="set_ytc" value="false">Reject all</button></form>'
    )
    return _doc("Before you continue to YouTube", "", body)


NOT_FOUND = _doc("404 Not Found", "", "<p>This page isn't available. Sorry about that.</p>")


def serve(store: Store, path: str, cookie_header: str, web_base_url: str) -> Page:
    """(status, body, extra headers) for a web page request."""
    split = urlsplit(path)
    if split.path.rstrip("/") == "/consent":
        target = parse_qs(split.query).get("continue", [""])[0]
        return 200, consent_page(target), []
    ch = _find(store, path)
    if ch is None:
        return 404, NOT_FOUND, []
    style = ch.page_style
    if style == "consent":
        if not _has_consent(cookie_header):
            original = web_base_url + path
            location = f"{web_base_url}/consent?continue={quote(original, safe='')}"
            return 302, b"", [("Location", location)]
        style = "initial_data"
    return 200, channel_page(store, ch, style), []
