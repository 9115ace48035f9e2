"""Tests for collector.identifiers: tables of real pasted forms, then properties."""

from __future__ import annotations

import re
import string
import unicodedata
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.errors import InvalidIdentifier
from collector.identifiers import (
    ACCEPTED_FORMS,
    MAX_INPUT_LENGTH,
    Identifier,
    IdentifierKind,
    parse_identifier,
)

CHANNEL_ID = IdentifierKind.CHANNEL_ID
HANDLE = IdentifierKind.HANDLE
USERNAME = IdentifierKind.USERNAME
CUSTOM_URL = IdentifierKind.CUSTOM_URL
VIDEO = IdentifierKind.VIDEO

CID = "UC_x5XG1OV2P6uZZ5FSM9Ttw"  # Google for Developers
VID = "dQw4w9WgXcQ"
OTHER_VID = "9bZkp7q3bJ4"
THAI = "ช่องไทย"  # contains a combining tone mark (Mn)
HINDI = "हिन्दी"  # contains a virama and vowel signs (Mn, Mc)
YT = "https://www.youtube.com"

VALID = [
    # channel IDs
    pytest.param(CID, CHANNEL_ID, CID, id="bare-channel-id"),
    pytest.param(f"  {CID} \n", CHANNEL_ID, CID, id="bare-channel-id-whitespace"),
    pytest.param(f"{YT}/channel/{CID}", CHANNEL_ID, CID, id="channel-url"),
    pytest.param(f"http://www.youtube.com/channel/{CID}", CHANNEL_ID, CID, id="channel-url-http"),
    pytest.param(f"youtube.com/channel/{CID}", CHANNEL_ID, CID, id="channel-url-no-scheme"),
    pytest.param(f"www.youtube.com/channel/{CID}", CHANNEL_ID, CID, id="channel-url-www-no-scheme"),
    pytest.param(
        f"//www.youtube.com/channel/{CID}", CHANNEL_ID, CID, id="channel-url-scheme-relative"
    ),
    pytest.param(f"HTTPS://WWW.YOUTUBE.COM/channel/{CID}", CHANNEL_ID, CID, id="channel-url-upper"),
    pytest.param(f"https://m.youtube.com/channel/{CID}", CHANNEL_ID, CID, id="channel-url-mobile"),
    pytest.param(
        f"https://music.youtube.com/channel/{CID}", CHANNEL_ID, CID, id="channel-url-music"
    ),
    pytest.param(f"https://youtube.com/channel/{CID}/", CHANNEL_ID, CID, id="channel-url-slash"),
    pytest.param(f"{YT}/channel/{CID}/videos", CHANNEL_ID, CID, id="channel-url-videos"),
    pytest.param(f"{YT}/channel/{CID}/shorts", CHANNEL_ID, CID, id="channel-url-shorts"),
    pytest.param(f"{YT}/channel/{CID}/streams", CHANNEL_ID, CID, id="channel-url-streams"),
    pytest.param(f"{YT}/channel/{CID}/featured", CHANNEL_ID, CID, id="channel-url-featured"),
    pytest.param(f"{YT}/channel/{CID}/about", CHANNEL_ID, CID, id="channel-url-about"),
    pytest.param(f"{YT}/channel/{CID}/playlists", CHANNEL_ID, CID, id="channel-url-playlists"),
    pytest.param(f"{YT}/channel/{CID}/community", CHANNEL_ID, CID, id="channel-url-community"),
    pytest.param(f"{YT}/channel/{CID}/live", CHANNEL_ID, CID, id="channel-url-live"),
    pytest.param(f"{YT}/channel/{CID}/videos/", CHANNEL_ID, CID, id="channel-url-tab-slash"),
    pytest.param(f"{YT}/channel/{CID}?si=AbC123xyz", CHANNEL_ID, CID, id="channel-url-si"),
    pytest.param(
        f"{YT}/channel/{CID}?view_as=subscriber", CHANNEL_ID, CID, id="channel-url-view-as"
    ),
    pytest.param(f"{YT}/channel/{CID}#about", CHANNEL_ID, CID, id="channel-url-fragment"),
    pytest.param(
        f"https://www.youtube.com:443/channel/{CID}", CHANNEL_ID, CID, id="channel-url-port"
    ),
    pytest.param(f"https://www.youtube.com./channel/{CID}", CHANNEL_ID, CID, id="channel-url-fqdn"),
    pytest.param(f"{YT}/channel/%55C{CID[2:]}", CHANNEL_ID, CID, id="channel-url-percent"),
    pytest.param(f"https://music.youtube.com/browse/{CID}", CHANNEL_ID, CID, id="music-browse-url"),
    pytest.param(
        f"{YT}/embed/live_stream?channel={CID}", CHANNEL_ID, CID, id="embed-live-stream-channel"
    ),
    # handles
    pytest.param("@GoogleDevelopers", HANDLE, "GoogleDevelopers", id="bare-handle"),
    pytest.param("\t@GoogleDevelopers  ", HANDLE, "GoogleDevelopers", id="bare-handle-whitespace"),
    pytest.param("@MrBeast", HANDLE, "MrBeast", id="bare-handle-case-kept"),
    pytest.param("@john.doe", HANDLE, "john.doe", id="bare-handle-dot"),
    pytest.param("@a_b-c", HANDLE, "a_b-c", id="bare-handle-underscore-dash"),
    pytest.param("@abc", HANDLE, "abc", id="bare-handle-min-length"),
    pytest.param("@" + "a" * 30, HANDLE, "a" * 30, id="bare-handle-max-length"),
    pytest.param("@123", HANDLE, "123", id="bare-handle-digits"),
    pytest.param(f"@{THAI}", HANDLE, THAI, id="bare-handle-thai"),
    pytest.param(f"@{HINDI}", HANDLE, HINDI, id="bare-handle-devanagari"),
    pytest.param("@Привет", HANDLE, "Привет", id="bare-handle-cyrillic"),
    pytest.param("@ゆっくり実況", HANDLE, "ゆっくり実況", id="bare-handle-japanese"),
    pytest.param("@قناة٣", HANDLE, "قناة٣", id="bare-handle-arabic-digit"),
    pytest.param(f"{YT}/@GoogleDevelopers", HANDLE, "GoogleDevelopers", id="handle-url"),
    pytest.param("youtube.com/@name_1", HANDLE, "name_1", id="handle-url-no-scheme"),
    pytest.param("http://youtube.com/@name_1", HANDLE, "name_1", id="handle-url-http"),
    pytest.param("//youtube.com/@name_1", HANDLE, "name_1", id="handle-url-scheme-relative"),
    pytest.param("https://m.youtube.com/@name_1", HANDLE, "name_1", id="handle-url-mobile"),
    pytest.param("https://music.youtube.com/@name_1", HANDLE, "name_1", id="handle-url-music"),
    pytest.param("WWW.YouTube.com/@Name_1", HANDLE, "Name_1", id="handle-url-upper-host"),
    pytest.param(f"{YT}/@name_1/", HANDLE, "name_1", id="handle-url-slash"),
    pytest.param(f"{YT}/@name_1/videos", HANDLE, "name_1", id="handle-url-videos"),
    pytest.param(f"{YT}/@name_1/shorts", HANDLE, "name_1", id="handle-url-shorts"),
    pytest.param(f"{YT}/@name_1/streams", HANDLE, "name_1", id="handle-url-streams"),
    pytest.param(f"{YT}/@name_1/podcasts", HANDLE, "name_1", id="handle-url-podcasts"),
    pytest.param(f"{YT}/@name_1/releases", HANDLE, "name_1", id="handle-url-releases"),
    pytest.param(f"{YT}/@name_1/store", HANDLE, "name_1", id="handle-url-store"),
    pytest.param(f"{YT}/@name_1/channels", HANDLE, "name_1", id="handle-url-channels"),
    pytest.param(f"{YT}/@name_1/Videos", HANDLE, "name_1", id="handle-url-tab-case"),
    pytest.param(f"{YT}/@name_1/search?query=cats", HANDLE, "name_1", id="handle-url-search"),
    pytest.param(f"{YT}/@name_1?si=Zx9_k", HANDLE, "name_1", id="handle-url-si"),
    pytest.param(f"{YT}/@name_1?feature=shared", HANDLE, "name_1", id="handle-url-feature"),
    pytest.param(f"{YT}/%40name_1", HANDLE, "name_1", id="handle-url-percent-at"),
    pytest.param(f"{YT}/@{quote(THAI)}", HANDLE, THAI, id="handle-url-percent-thai"),
    pytest.param(f"{YT}/@{quote(HINDI)}/videos", HANDLE, HINDI, id="handle-url-percent-hindi"),
    pytest.param(f"{YT}/@{THAI}", HANDLE, THAI, id="handle-url-raw-thai"),
    pytest.param("youtube.com:443/@name_1", HANDLE, "name_1", id="handle-url-port-no-scheme"),
    pytest.param("http://youtube.com:80/@name_1", HANDLE, "name_1", id="handle-url-port-80"),
    # bare words are tried as handles
    pytest.param("GoogleDevelopers", HANDLE, "GoogleDevelopers", id="bare-word"),
    pytest.param(VID, HANDLE, VID, id="bare-word-video-like"),
    pytest.param("UC" + "a" * 19, HANDLE, "UC" + "a" * 19, id="bare-word-short-uc"),
    pytest.param("UC" + "a" * 25, HANDLE, "UC" + "a" * 25, id="bare-word-long-uc"),
    pytest.param("UC" + "ก" * 22, HANDLE, "UC" + "ก" * 22, id="bare-word-uc-24-non-ascii"),
    # legacy usernames and custom URLs
    pytest.param(f"{YT}/user/GoogleDevelopers", USERNAME, "GoogleDevelopers", id="user-url"),
    pytest.param("youtube.com/user/Google", USERNAME, "Google", id="user-url-no-scheme"),
    pytest.param("https://m.youtube.com/user/Google", USERNAME, "Google", id="user-url-mobile"),
    pytest.param(f"{YT}/user/Google/videos", USERNAME, "Google", id="user-url-videos"),
    pytest.param(f"{YT}/user/Google/", USERNAME, "Google", id="user-url-slash"),
    pytest.param(f"{YT}/User/Google", USERNAME, "Google", id="user-url-route-case"),
    pytest.param(f"{YT}/user/Google?feature=watch", USERNAME, "Google", id="user-url-feature"),
    pytest.param(f"{YT}/c/GoogleDevelopers", CUSTOM_URL, "GoogleDevelopers", id="c-url"),
    pytest.param(f"{YT}/c/Google/featured", CUSTOM_URL, "Google", id="c-url-featured"),
    pytest.param(f"{YT}/c/{quote('Привет')}", CUSTOM_URL, "Привет", id="c-url-percent-cyrillic"),
    pytest.param(f"{YT}/GoogleDevelopers", CUSTOM_URL, "GoogleDevelopers", id="custom-url"),
    pytest.param("youtube.com/Google", CUSTOM_URL, "Google", id="custom-url-no-scheme"),
    pytest.param(f"{YT}/Google/videos", CUSTOM_URL, "Google", id="custom-url-videos"),
    pytest.param(f"{YT}/{quote(THAI)}", CUSTOM_URL, THAI, id="custom-url-percent-thai"),
    pytest.param(f"{YT}/x", CUSTOM_URL, "x", id="custom-url-one-char"),
    # videos
    pytest.param(f"{YT}/watch?v={VID}", VIDEO, VID, id="watch-url"),
    pytest.param(f"https://youtube.com/watch?v={VID}", VIDEO, VID, id="watch-url-no-www"),
    pytest.param(f"youtube.com/watch?v={VID}", VIDEO, VID, id="watch-url-no-scheme"),
    pytest.param(f"https://m.youtube.com/watch?v={VID}", VIDEO, VID, id="watch-url-mobile"),
    pytest.param(f"https://music.youtube.com/watch?v={VID}", VIDEO, VID, id="watch-url-music"),
    pytest.param(f"{YT}/watch?v={VID}&list=PLx0sYbCqOb8", VIDEO, VID, id="watch-url-with-list"),
    pytest.param(f"{YT}/watch?list=PLx0sYbCqOb8&v={VID}", VIDEO, VID, id="watch-url-list-first"),
    pytest.param(f"{YT}/watch?v={VID}&v={OTHER_VID}", VIDEO, VID, id="watch-url-first-v-wins"),
    pytest.param(f"{YT}/watch?v={VID}&t=42s", VIDEO, VID, id="watch-url-timestamp"),
    pytest.param(f"{YT}/watch?feature=youtu.be&v={VID}", VIDEO, VID, id="watch-url-feature"),
    pytest.param(f"{YT}/watch?v={VID}#t=30", VIDEO, VID, id="watch-url-fragment"),
    pytest.param(f"{YT}/watch/?v={VID}", VIDEO, VID, id="watch-url-slash"),
    pytest.param(f"https://youtu.be/{VID}", VIDEO, VID, id="youtu-be"),
    pytest.param(f"youtu.be/{VID}", VIDEO, VID, id="youtu-be-no-scheme"),
    pytest.param(f"http://youtu.be/{VID}?si=Zx9_k", VIDEO, VID, id="youtu-be-si"),
    pytest.param(f"https://youtu.be/{VID}?t=42", VIDEO, VID, id="youtu-be-timestamp"),
    pytest.param(f"{YT}/shorts/{VID}", VIDEO, VID, id="shorts-url"),
    pytest.param(f"{YT}/shorts/{VID}?feature=share", VIDEO, VID, id="shorts-url-share"),
    pytest.param(f"https://m.youtube.com/shorts/{VID}", VIDEO, VID, id="shorts-url-mobile"),
    pytest.param(f"{YT}/live/{VID}?si=Zx9_k", VIDEO, VID, id="live-url"),
    pytest.param(f"{YT}/embed/{VID}", VIDEO, VID, id="embed-url"),
    pytest.param(f"{YT}/embed/{VID}?autoplay=1&list=PLx", VIDEO, VID, id="embed-url-query"),
    pytest.param(f"{YT}/v/{VID}?version=3", VIDEO, VID, id="v-url"),
    pytest.param(f"https://www.youtube-nocookie.com/embed/{VID}", VIDEO, VID, id="nocookie"),
    pytest.param(f"youtube-nocookie.com/embed/{VID}?rel=0", VIDEO, VID, id="nocookie-no-www"),
]

INVALID = [
    pytest.param("", id="empty"),
    pytest.param("   ", id="blank"),
    pytest.param("\t\n\r ", id="whitespace-only"),
    pytest.param("@foo bar", id="inner-space"),
    pytest.param("@foo\u00a0bar", id="inner-nbsp"),
    pytest.param(f"{YT}/@foo bar", id="inner-space-url"),
    pytest.param("@ab", id="handle-too-short"),
    pytest.param("@" + "a" * 31, id="handle-too-long"),
    pytest.param("@", id="handle-empty"),
    pytest.param("ab", id="bare-word-too-short"),
    pytest.param(f"{YT}/@ab", id="handle-url-too-short"),
    pytest.param(f"{YT}/@", id="handle-url-empty"),
    pytest.param("@foo!bar", id="handle-bad-char"),
    pytest.param("@abc²", id="handle-superscript-digit"),
    pytest.param("@abc\u200b", id="handle-zero-width-space"),
    pytest.param("@foo/videos", id="bare-handle-with-path"),
    pytest.param(CID[:-1], id="truncated-channel-id"),
    pytest.param(CID[:-2], id="truncated-channel-id-22"),
    pytest.param(CID + "x", id="overlong-channel-id"),
    pytest.param(CID + "xy", id="overlong-channel-id-26"),
    pytest.param(f"{YT}/channel/{CID[:-1]}", id="truncated-channel-id-url"),
    pytest.param(f"{YT}/channel/UC{'!' * 22}", id="channel-id-url-bad-chars"),
    pytest.param(f"{YT}/channel/{CID}/bogus", id="channel-url-unknown-tab"),
    pytest.param(f"{YT}/@name_1/videos/extra", id="handle-url-extra-segment"),
    pytest.param(f"{YT}/watch?v={VID[:-1]}", id="truncated-video-id"),
    pytest.param(f"{YT}/watch?v=", id="watch-empty-v"),
    pytest.param(f"{YT}/watch", id="watch-no-v"),
    pytest.param(f"https://youtu.be/{VID}x", id="youtu-be-long-id"),
    pytest.param("https://youtu.be/", id="youtu-be-no-id"),
    pytest.param(f"{YT}/playlist?list=PLx0sYbCqOb8", id="playlist-url"),
    pytest.param(f"{YT}/watch?list=PLx0sYbCqOb8", id="watch-list-only"),
    pytest.param(f"{YT}/embed/videoseries?list=PLx0sYbCqOb8", id="embed-videoseries"),
    pytest.param(f"{YT}/", id="home-page"),
    pytest.param("youtube.com", id="home-page-bare"),
    pytest.param("https://m.youtube.com/?si=Zx9_k", id="home-page-query"),
    pytest.param(f"{YT}/feed/subscriptions", id="reserved-feed"),
    pytest.param(f"{YT}/results?search_query=cats", id="reserved-results"),
    pytest.param(f"{YT}/hashtag/cats", id="reserved-hashtag"),
    pytest.param(f"{YT}/attribution_link?u=/watch%3Fv%3D{VID}", id="reserved-attribution"),
    pytest.param(f"{YT}/shorts", id="shorts-without-id"),
    pytest.param(f"{YT}/..", id="dot-segment"),
    pytest.param("https://evil.com/@name_1", id="other-host"),
    pytest.param("https://evil.com/youtube.com/@name_1", id="youtube-in-path"),
    pytest.param("https://evil.com/?u=youtube.com/@name_1", id="youtube-in-query"),
    pytest.param("https://youtube.com@evil.com/@name_1", id="youtube-in-userinfo"),
    pytest.param("youtube.com@evil.com/@name_1", id="youtube-in-userinfo-no-scheme"),
    pytest.param("https://youtube.com.evil.com/@name_1", id="youtube-host-prefix"),
    pytest.param("youtube.com.evil.com", id="youtube-host-prefix-bare"),
    pytest.param("https://notyoutube.com/@name_1", id="youtube-host-suffix"),
    pytest.param("https://youtube.co/@name_1", id="lookalike-host"),
    pytest.param("https://www.youtu.be/@name_1", id="youtu-be-channel"),
    pytest.param(f"https://www.youtube-nocookie.com/watch?v={VID}", id="nocookie-watch"),
    pytest.param("john.doe", id="bare-domain-like"),
    pytest.param("a." * 1000 + "com", id="long-bare-domain-like"),
    pytest.param("https://evil.com\\@youtube.com/@name_1", id="backslash"),
    pytest.param("http://[::1]/@name_1", id="ipv6-host"),
    pytest.param("http://[youtube.com/@name_1", id="broken-ipv6-bracket"),
    pytest.param("https://youtube.com:8080/@name_1", id="odd-port"),
    pytest.param("https://youtube.com:99999999999/@name_1", id="huge-port"),
    pytest.param("youtube.com:abc/@name_1", id="garbage-port"),
    pytest.param("https:youtube.com/@name_1", id="scheme-without-slashes"),
    pytest.param("/@name_1", id="path-without-host"),
    pytest.param("javascript:alert(1)", id="javascript-scheme"),
    pytest.param("JavaScript://youtube.com/@name_1", id="javascript-scheme-slashes"),
    pytest.param("ftp://youtube.com/@name_1", id="ftp-scheme"),
    pytest.param("data:text/html,<b>hi</b>", id="data-scheme"),
    pytest.param("@foo\x00bar", id="nul-char"),
    pytest.param(f"{YT}/@name_1\x07", id="bell-char-url"),
    pytest.param(f"{YT}/@foo%0Abar", id="percent-encoded-newline"),
    pytest.param(f"{YT}/@foo%20bar", id="percent-encoded-space"),
    pytest.param(f"{YT}/@%FF%FEabc", id="percent-encoded-not-utf8"),
    pytest.param(f"{YT}/@abc%2540", id="percent-decoded-only-once"),
    pytest.param("@" + "a" * (MAX_INPUT_LENGTH + 1), id="over-max-length"),
    pytest.param(f"{YT}/watch?v={VID}&x=" + "y" * MAX_INPUT_LENGTH, id="over-max-length-url"),
    pytest.param(f"{YT}/c/" + "a" * 101, id="custom-name-too-long"),
]


@pytest.mark.parametrize(("text", "kind", "value"), VALID)
def test_valid_forms(text: str, kind: IdentifierKind, value: str) -> None:
    assert parse_identifier(text) == Identifier(kind, value)


@pytest.mark.parametrize("text", INVALID)
def test_invalid_forms(text: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        parse_identifier(text)
    message = caught.value.message
    assert caught.value.code == "invalid_identifier"
    assert ACCEPTED_FORMS in message
    assert str(caught.value) == message
    # Never echo huge or control-character input verbatim.
    assert len(message) < 600
    assert not any(unicodedata.category(ch) == "Cc" for ch in message)


def test_non_string_input_is_invalid() -> None:
    with pytest.raises(InvalidIdentifier):
        parse_identifier(None)  # type: ignore[arg-type]


def test_error_messages_say_what_was_wrong() -> None:
    cases = {
        "": "empty",
        "@ab": "3 to 30",
        CID[:-1]: "write '@UC",
        "john.doe": "write '@john.doe'",
        f"{YT}/playlist?list=PLx": "Playlist",
        f"{YT}/": "home page",
        "https://evil.com/@name_1": "Not a YouTube link",
        "javascript:alert(1)": "http",
        "@a\x00b": "control",
    }
    for text, fragment in cases.items():
        with pytest.raises(InvalidIdentifier, match=re.escape(fragment)):
            parse_identifier(text)


def test_cache_key() -> None:
    assert Identifier(HANDLE, "MrBeast").cache_key == "handle:mrbeast"
    assert Identifier(USERNAME, "Straße").cache_key == "username:strasse"
    assert Identifier(CUSTOM_URL, "GOOGLE").cache_key == "custom_url:google"
    assert Identifier(CHANNEL_ID, CID).cache_key == f"channel_id:{CID}"
    assert Identifier(VIDEO, VID).cache_key == f"video:{VID}"
    # Composed and decomposed spellings of one name share a key.
    composed, decomposed = "café", unicodedata.normalize("NFD", "café")
    assert Identifier(HANDLE, composed).cache_key == Identifier(HANDLE, decomposed).cache_key
    assert parse_identifier("@MrBeast").cache_key == parse_identifier("@mrbeast").cache_key


# --- properties --------------------------------------------------------------------------

CHANNEL_ID_RE = re.compile(r"UC[A-Za-z0-9_-]{22}")
VIDEO_ID_RE = re.compile(r"[A-Za-z0-9_-]{11}")
ALLOWED_HOSTS = {
    "youtube.com",
    "www.youtube.com",
    "m.youtube.com",
    "music.youtube.com",
    "youtu.be",
    "youtube-nocookie.com",
    "www.youtube-nocookie.com",
}


def _name_ok(value: str) -> bool:
    return all(
        ch in "_-." or unicodedata.category(ch)[0] in "LM" or unicodedata.category(ch) == "Nd"
        for ch in value
    )


def _check(text: str) -> Identifier | None:
    """Parse; anything but an Identifier or InvalidIdentifier fails the test."""
    try:
        ident = parse_identifier(text)
    except InvalidIdentifier as exc:
        assert ACCEPTED_FORMS in exc.message
        return None
    assert isinstance(ident, Identifier)
    if ident.kind is CHANNEL_ID:
        assert CHANNEL_ID_RE.fullmatch(ident.value)
    elif ident.kind is VIDEO:
        assert VIDEO_ID_RE.fullmatch(ident.value)
    elif ident.kind is HANDLE:
        assert 3 <= len(ident.value) <= 30 and _name_ok(ident.value)
    else:
        assert 1 <= len(ident.value) <= 100 and _name_ok(ident.value)
    assert ident.cache_key.startswith(f"{ident.kind}:")
    return ident


NAME_CHARS = st.characters(categories=("L", "M", "Nd")) | st.sampled_from("_-.")
handles = st.text(NAME_CHARS, min_size=3, max_size=30)
ID_CHARS = st.sampled_from(string.ascii_letters + string.digits + "_-")  # from_regex is slow
channel_ids = st.text(ID_CHARS, min_size=22, max_size=22).map(lambda tail: "UC" + tail)
video_ids = st.text(ID_CHARS, min_size=11, max_size=11)

schemes = st.sampled_from(
    ["", "http://", "https://", "//", "HTTPS://", "ftp://", "javascript:", "https:/", "data:"]
)
hosts = st.sampled_from(
    [
        *sorted(ALLOWED_HOSTS),
        "WWW.YOUTUBE.COM",
        "youtube.com:443",
        "youtube.com:99999",
        "evil.com",
        "youtube.com.evil.com",
        "youtube.com@evil.com",
        "evil.com@youtube.com:",
        "[::1]",
        "[youtube.com",
        "youtube.com]",
        "",
    ]
)
SEGMENT_WORDS = (
    "channel user c @ watch shorts embed live v videos about %40 %E0%B8%8A %FF % %2F .. ."
)
segments = (
    st.sampled_from([*SEGMENT_WORDS.split(), "", "?", "#", "&v=", "?v=", "\\"])
    | handles
    | channel_ids
    | video_ids
    | st.text(max_size=8)
)
url_ish = st.builds(
    lambda scheme, host, parts, query: scheme + host + "/" + "/".join(parts) + query,
    schemes,
    hosts,
    st.lists(segments, max_size=4),
    st.sampled_from(["", "?si=x", "?v=", "?list=PL1", "#t=1", "?v=" + VID, "?v=%ZZ"])
    | st.text(max_size=10),
)
regex_urls = st.from_regex(
    r"(https?:)?(//)?(www\.|m\.|music\.)?(youtube\.com|youtu\.be)(:\d{0,5})?"
    r"/(@|channel/|c/|user/|watch\?v=|shorts/)?[\w%.@-]{0,30}(/\w{0,8})?([?#][\w=&%-]{0,20})?",
    fullmatch=True,
)

FAST = settings(max_examples=300, deadline=None)


@FAST
@given(st.text())
def test_any_text_parses_or_is_invalid(text: str) -> None:
    _check(text)


@FAST
@given(st.one_of(url_ish, regex_urls))
def test_url_like_text_parses_or_is_invalid(text: str) -> None:
    _check(text)


@FAST
@given(schemes, hosts.filter(bool), st.lists(segments, max_size=4))
def test_only_youtube_hosts_are_accepted(scheme: str, host: str, parts: list[str]) -> None:
    text = scheme + host + "/" + "/".join(parts)
    ident = _check(text)
    if ident is not None:
        assert scheme.lower() in ("", "http://", "https://", "//")
        authority = host.lower().partition(":")[0]
        assert authority in ALLOWED_HOSTS


@FAST
@given(handles)
def test_handle_round_trip(handle: str) -> None:
    assert parse_identifier("@" + handle) == Identifier(HANDLE, handle)
    url = "https://www.youtube.com/@" + quote(handle, safe="")
    assert parse_identifier(url) == Identifier(HANDLE, handle)


@FAST
@given(st.text(st.sampled_from("abcXYZ019_-."), min_size=3, max_size=30))
def test_handle_cache_key_ignores_case(handle: str) -> None:
    assert parse_identifier("@" + handle.swapcase()).cache_key == f"handle:{handle.lower()}"


@FAST
@given(channel_ids, st.sampled_from(["", "/", "/videos", "?si=x", "/about#x"]))
def test_channel_id_round_trip(cid: str, suffix: str) -> None:
    assert parse_identifier(cid) == Identifier(CHANNEL_ID, cid)
    url = "https://www.youtube.com/channel/" + cid + suffix
    assert parse_identifier(url) == Identifier(CHANNEL_ID, cid)


@FAST
@given(video_ids)
def test_video_round_trip(vid: str) -> None:
    for url in (f"{YT}/watch?v={vid}&list=PL1", f"https://youtu.be/{vid}", f"{YT}/shorts/{vid}"):
        assert parse_identifier(url) == Identifier(VIDEO, vid)


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=40).map(lambda tail: "@" + "a" * MAX_INPUT_LENGTH + tail))
def test_over_long_input_is_invalid_and_not_echoed(text: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        parse_identifier(text)
    assert len(caught.value.message) < 600


@FAST
@given(st.text(ID_CHARS, min_size=20, max_size=24))
def test_bare_uc_token_is_an_id_only_at_24_characters(tail: str) -> None:
    token = "UC" + tail
    if len(token) == 24:
        assert parse_identifier(token) == Identifier(CHANNEL_ID, token)
    else:
        with pytest.raises(InvalidIdentifier, match="looks like a channel ID"):
            parse_identifier(token)
