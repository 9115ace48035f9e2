"""Parse a pasted YouTube channel reference into an :class:`Identifier`.

Pure string work, no I/O: ``parse_identifier`` accepts the forms people actually paste (bare
channel IDs, ``@handles``, channel, ``/user/``, ``/c/`` and custom-URL links, and video links;
with or without a scheme, with tab suffixes, tracking queries and percent-encoding) and raises
:class:`~collector.errors.InvalidIdentifier`, and nothing else, for everything else. Turning
the identifier into a channel ID is the resolver's job.

URLs are split by hand rather than with ``urllib.parse.urlsplit``: that raises ``ValueError``
on brackets and bad ports and is lenient about things a browser reads differently (userinfo,
backslashes). Here, anything surprising is simply invalid.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote

from collector.errors import InvalidIdentifier

MAX_INPUT_LENGTH = 2048
ACCEPTED_FORMS = (
    "Accepted forms: a channel ID (UC followed by 22 letters, digits, _ or -), a handle such as "
    "@name, or a YouTube link to a channel (/channel/UC…, /@name, /user/Name, /c/Name, /Name) "
    "or to one of its videos (watch?v=…, youtu.be/…, /shorts/…, /live/…, /embed/…)."
)


class IdentifierKind(StrEnum):
    CHANNEL_ID = "channel_id"
    HANDLE = "handle"
    USERNAME = "username"  # legacy /user/Name
    CUSTOM_URL = "custom_url"  # /c/Name or bare youtube.com/Name
    VIDEO = "video"


@dataclass(frozen=True, slots=True)
class Identifier:
    kind: IdentifierKind
    value: str  # channel ID; handle without "@"; username; custom name; 11-char video ID

    @property
    def cache_key(self) -> str:
        """Key for a resolution cache: names compare caselessly, IDs exactly."""
        if self.kind in _CASELESS_KINDS:
            # YouTube matches these names case-insensitively; NFC so that composed and
            # decomposed spellings of one non-Latin name share an entry.
            return f"{self.kind}:{unicodedata.normalize('NFC', self.value.casefold())}"
        return f"{self.kind}:{self.value}"


_CASELESS_KINDS = frozenset(
    {IdentifierKind.HANDLE, IdentifierKind.USERNAME, IdentifierKind.CUSTOM_URL}
)

# Explicit ASCII classes and fullmatch(): \w and \d match any script, "$" matches before "\n".
_CHANNEL_ID = re.compile(r"UC[A-Za-z0-9_-]{22}")
_VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
# A scheme is "name:" not followed by a digit: "youtube.com:443/@x" is a host and a port.
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(?![0-9])")
# A bare token shaped like a host name is read as a scheme-less link, not as a handle
# (YouTube does not allow URL-like handles), so "youtube.com.evil.com" is rejected.
_HOST_LIKE = re.compile(r"(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}\.?(?::[0-9]*)?")

_CHANNEL_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"})
_SHORT_HOSTS = frozenset({"youtu.be"})
_NOCOOKIE_HOSTS = frozenset({"youtube-nocookie.com", "www.youtube-nocookie.com"})
_DEFAULT_PORTS = frozenset({"", "80", "443"})

_TAB_WORDS = (
    "home featured videos shorts streams live playlists podcasts releases courses community "
    "posts channels about store search membership join discussion games"
)
_TABS = frozenset(_TAB_WORDS.split())
_VIDEO_ROUTES = frozenset({"shorts", "live", "embed", "v", "e"})
# First path segments that are YouTube pages, never a channel's custom URL.
_RESERVED_WORDS = (
    "watch shorts playlist results feed embed live channel user c v e t hashtag premium gaming "
    "account signin logout redirect attribution_link about howyoutubeworks kids music s post "
    "source paid_memberships reporthistory upload playables podcasts trending browse creators "
    "ads yt new jobs index oembed get_video_info api supported_browsers movies clip verify_age "
    "storefront sports news learning live_chat search shared share subscription_center "
    "timedtext dashboard studio create mobile comment all_comments error img styleguide "
    "robots.txt sitemap.xml favicon.ico"
)
_RESERVED = frozenset(_RESERVED_WORDS.split())


def is_reserved_path(name: str) -> bool:
    """True when ``youtube.com/<name>`` is a YouTube page of its own, never a channel's."""
    return name.lower() in _RESERVED


def parse_identifier(text: str) -> Identifier:
    """Parse one pasted channel reference; raise InvalidIdentifier for anything else."""
    if not isinstance(text, str):  # callers get JSON: be safe even against non-strings
        raise _invalid(f"Expected text, got {type(text).__name__}")
    if len(text) > MAX_INPUT_LENGTH:
        raise _invalid(f"Input is {len(text)} characters long; the limit is {MAX_INPUT_LENGTH}")
    s = text.strip()
    if not s:
        raise _invalid("Input is empty")
    if any(unicodedata.category(ch) == "Cc" for ch in s):
        raise _invalid(f"Input contains control characters: {_show(s)}")
    if any(ch.isspace() for ch in s):
        raise _invalid(f"Input contains spaces: {_show(s)}")
    if "\\" in s:  # browsers read "\" as "/", which can move the host: never guess
        raise _invalid(f"Input contains a backslash: {_show(s)}")
    if s.startswith("@"):
        return Identifier(IdentifierKind.HANDLE, _handle(s[1:]))
    if "/" in s or ":" in s or _HOST_LIKE.fullmatch(re.split(r"[?#]", s, maxsplit=1)[0]):
        return _parse_url(s)
    if _CHANNEL_ID.fullmatch(s):
        return Identifier(IdentifierKind.CHANNEL_ID, s)
    if s.startswith("UC") and 22 <= len(s) <= 26 and len(s) != 24:
        raise _invalid(
            f"{_show(s)} looks like a channel ID but has {len(s)} characters, not 24 "
            f"(write {_show('@' + s)} if it is a handle)"
        )
    return Identifier(IdentifierKind.HANDLE, _handle(s))


def _parse_url(s: str) -> Identifier:
    rest = s
    scheme = _SCHEME.match(s)
    if scheme:
        name = scheme.group(1).lower()
        if name not in ("http", "https"):
            raise _invalid(f"Only http and https links are accepted, not {_show(name)}")
        rest = s[scheme.end() :]
        if not rest.startswith("//"):
            raise _invalid(f"Malformed link: {_show(s)}")
    if rest.startswith("//"):
        rest = rest[2:]
    elif rest.startswith("/"):
        raise _invalid(f"Link has no host: {_show(s)}")
    cut = next((i for i, ch in enumerate(rest) if ch in "/?#"), len(rest))
    authority, tail = rest[:cut], rest[cut:]
    if "@" in authority:  # "youtube.com@evil.com" is a link to evil.com
        raise _invalid(f"Links with a user name before the host are not accepted: {_show(s)}")
    host, _, port = authority.partition(":")
    host = (host.lower() if host.isascii() else host).removesuffix(".")
    if host not in _CHANNEL_HOSTS | _SHORT_HOSTS | _NOCOOKIE_HOSTS:
        # "john.doe" was probably meant as a handle; "youtube.com.evil.com" certainly not.
        handle_like = authority == s and "youtu" not in s
        hint = f" (write {_show('@' + s)} if it is a handle)" if handle_like else ""
        raise _invalid(f"Not a YouTube link: {_show(s)}{hint}")
    if port not in _DEFAULT_PORTS:
        raise _invalid(f"Unexpected port in {_show(s)}")
    path, _, query = tail.split("#", 1)[0].partition("?")
    try:  # decode once, before matching, so %40name and non-Latin names work
        path = unquote(path, errors="strict")
    except UnicodeError:
        raise _invalid(f"Link is not valid percent-encoded UTF-8: {_show(s)}") from None
    segments = [seg for seg in path.split("/") if seg]
    if any(seg in (".", "..") for seg in segments):
        raise _invalid(f"Link contains '.' or '..' path segments: {_show(s)}")
    if host in _SHORT_HOSTS:
        if len(segments) == 1:
            return _video(segments[0])
        raise _invalid(f"A youtu.be link must be youtu.be/VIDEO_ID: {_show(s)}")
    if host in _NOCOOKIE_HOSTS:
        if len(segments) == 2 and segments[0].lower() == "embed":
            return _video(segments[1])
        raise _invalid(f"A youtube-nocookie.com link must be /embed/VIDEO_ID: {_show(s)}")
    return _route(s, segments, query)


def _route(s: str, segments: list[str], query: str) -> Identifier:
    """Map the decoded path segments of a youtube.com link to an identifier."""
    if not segments:
        raise _invalid(f"{_show(s)} is the YouTube home page, not a channel or a video")
    head, rest = segments[0], segments[1:]
    route = head.lower()
    if head.startswith("@"):
        _check_tab(s, rest)
        return Identifier(IdentifierKind.HANDLE, _handle(head[1:]))
    if route == "watch" and not rest:
        video = _first_param(query, "v")
        if video is not None:
            return _video(video)
        if _first_param(query, "list") is not None:
            raise _invalid(f"Playlist links are not accepted: {_show(s)}")
        raise _invalid(f"Watch link without a v= video ID: {_show(s)}")
    if route in _VIDEO_ROUTES and len(rest) == 1:
        # Both special embed names are 11 characters long, so they would pass as video IDs.
        if route in ("embed", "v") and rest[0] == "videoseries":
            raise _invalid(f"Playlist links are not accepted: {_show(s)}")
        if route == "embed" and rest[0] == "live_stream":
            return _channel_id(_first_param(query, "channel") or "")
        return _video(rest[0])
    if route in ("channel", "browse") and rest:  # browse: music.youtube.com artist pages
        _check_tab(s, rest[1:])
        return _channel_id(rest[0])
    if route in ("user", "c") and rest:
        _check_tab(s, rest[1:])
        kind = IdentifierKind.USERNAME if route == "user" else IdentifierKind.CUSTOM_URL
        return Identifier(kind, _name(rest[0], "name"))
    if route == "playlist":
        raise _invalid(f"Playlist links are not accepted: {_show(s)}")
    if route in _RESERVED:
        raise _invalid(f"{_show('/' + head)} is a YouTube page, not a channel or a video")
    _check_tab(s, rest)
    return Identifier(IdentifierKind.CUSTOM_URL, _name(head, "custom URL name"))


def _check_tab(s: str, rest: list[str]) -> None:
    """Allow at most one known channel tab (/videos, /shorts, ...) after the channel part."""
    if len(rest) > 1 or (rest and rest[0].lower() not in _TABS):
        raise _invalid(f"Unexpected {_show('/'.join(rest))} after the channel in {_show(s)}")


def _first_param(query: str, key: str) -> str | None:
    """Value of the first ``key=`` in a query string (the first v= wins, as on YouTube)."""
    for part in query.split("&"):
        name, _, value = part.partition("=")
        if name == key:
            try:
                return unquote(value, errors="strict")
            except UnicodeError:
                return value  # left encoded: it fails validation with a clear message
    return None


def _is_name_char(ch: str) -> bool:
    # Letters and combining marks of any script (Thai and Devanagari names need the marks),
    # decimal digits only: isalnum()/isdigit() would also let in "²", "½" and Roman numerals.
    category = unicodedata.category(ch)
    return ch in "_-." or category[0] in "LM" or category == "Nd"


def _check_chars(value: str, what: str) -> None:
    bad = next((ch for ch in value if not _is_name_char(ch)), None)
    if bad is not None:
        raise _invalid(f"The {what} {_show(value)} contains {bad!r}, which is not allowed")


def _handle(value: str) -> str:
    if not 3 <= len(value) <= 30:
        raise _invalid(f"A handle has 3 to 30 characters; {_show('@' + value)} has {len(value)}")
    _check_chars(value, "handle")
    return value  # case kept as typed: the API matches forHandle case-insensitively


def _name(value: str, what: str) -> str:
    if len(value) > 100:
        raise _invalid(f"The {what} {_show(value)} is longer than 100 characters")
    _check_chars(value, what)
    return value


def _video(value: str) -> Identifier:
    if _VIDEO_ID.fullmatch(value):
        return Identifier(IdentifierKind.VIDEO, value)
    raise _invalid(f"A video ID is 11 letters, digits, _ or -, not {_show(value)}")


def _channel_id(value: str) -> Identifier:
    if _CHANNEL_ID.fullmatch(value):
        return Identifier(IdentifierKind.CHANNEL_ID, value)
    raise _invalid(f"A channel ID is UC followed by 22 letters, digits, _ or -, not {_show(value)}")


def _show(value: str, limit: int = 60) -> str:
    """Quote user input for a message: repr() escapes control characters; cap the length."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}… ({len(value)} characters)"


def _invalid(problem: str) -> InvalidIdentifier:
    return InvalidIdentifier(f"{problem}. {ACCEPTED_FORMS}")
