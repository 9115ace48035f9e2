"""A channel's public web page, read for its channel id: the custom-URL route, 0 quota units.

Pages are fetched with the process's shared httpx client, never through the API client, and
carry no API key. The id is read only from places that name the page's own channel, in this
order: ``ytInitialData``'s ``metadata.channelMetadataRenderer.externalId``, then
``<meta itemprop="identifier">`` / ``channelId``, then the canonical ``/channel/UC...`` link.
Never the first ``UC...`` in the page: featured channels' ids come earlier.
"""

from __future__ import annotations

import json
import logging
import re
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import httpx

from .errors import InvalidIdentifier
from .identifiers import IdentifierKind, is_reserved_path, parse_identifier

log = logging.getLogger(__name__)

MAX_PAGE_BYTES = 4 * 1024 * 1024
# "SOCS" records the answer to the EU consent interstitial ("CAI": essential cookies only);
# without it, YouTube redirects to a consent form that has no channel id.
CONSENT_COOKIE = "SOCS=CAI"
_INITIAL_DATA = re.compile(r"""(?:var\s+ytInitialData|window\[["']ytInitialData["']\])\s*=\s*""")


class ChannelPages:
    """Reads channel ids from channel pages under ``base_url``."""

    def __init__(self, http: httpx.Client, base_url: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")

    def channel_id(self, custom_name: str) -> str | None:
        """The channel id on the page of ``youtube.com/<custom_name>``, or None if it has none."""
        prefix = "/c/" if is_reserved_path(custom_name) else "/"
        url = self.base_url + prefix + quote(custom_name, safe="")
        page = self._fetch(url)
        return None if page is None else channel_id_from_page(page)

    def _fetch(self, url: str) -> str | None:
        try:
            with self.http.stream(
                "GET", url, headers={"Cookie": CONSENT_COOKIE}, follow_redirects=True
            ) as response:
                if response.status_code != 200:
                    log.info("channel page answered HTTP %d", response.status_code)
                    return None
                if _is_consent(response.url):
                    log.warning("channel page sent the consent form despite the consent cookie")
                    return None
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_PAGE_BYTES:
                        log.warning("channel page larger than %d bytes; not read", MAX_PAGE_BYTES)
                        return None
                return body.decode(response.encoding or "utf-8", errors="replace")
        except httpx.HTTPError as exc:
            log.info("channel page not read: %s", type(exc).__name__)
            return None


def _is_consent(url: httpx.URL) -> bool:
    return url.host.startswith("consent.") or url.path.rstrip("/") == "/consent"


def channel_id_from_page(page: str) -> str | None:
    """The page's own channel id, from the first of the three places that has one."""
    return _from_initial_data(page) or _from_head(page)


def _from_initial_data(page: str) -> str | None:
    for match in _INITIAL_DATA.finditer(page):
        try:
            data, _ = json.JSONDecoder().raw_decode(page, match.end())
        except ValueError:
            continue
        renderer = _dig(data, "metadata", "channelMetadataRenderer")
        found = _channel_id(renderer.get("externalId") if isinstance(renderer, dict) else None)
        if found:
            return found
    return None


def _dig(data: object, *path: str) -> object:
    for name in path:
        if not isinstance(data, dict):
            return None
        data = data.get(name)
    return data


class _HeadTags(HTMLParser):
    """Collects <meta itemprop="identifier"|"channelId"> and <link rel="canonical">."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: list[str] = []
        self.canonical: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "meta" and values.get("itemprop") in ("identifier", "channelId"):
            self.meta.append(values.get("content", ""))
        elif tag == "link" and values.get("rel", "").lower() == "canonical":
            self.canonical.append(values.get("href", ""))


def _from_head(page: str) -> str | None:
    tags = _HeadTags()
    tags.feed(page)
    for candidate in tags.meta:
        if found := _channel_id(candidate):
            return found
    for href in tags.canonical:
        if urlsplit(href).path.startswith("/channel/") and (found := _channel_id(href)):
            return found
    return None


def _channel_id(text: object) -> str | None:
    """The channel id that ``text`` (a bare id or a /channel/ link) names, else None."""
    if not isinstance(text, str) or not text:
        return None
    try:
        identifier = parse_identifier(text)
    except InvalidIdentifier:
        return None
    return identifier.value if identifier.kind is IdentifierKind.CHANNEL_ID else None
