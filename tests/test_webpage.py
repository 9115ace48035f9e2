"""Reading a channel's own id from its web page, and never a featured channel's."""

from __future__ import annotations

import json

import httpx
import pytest

from collector.webpage import ChannelPages, channel_id_from_page
from tests.fake_youtube import FakeYouTube

OWN = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
FEATURED = "UCVHFbqXqoYvEWM1Ddxl0QDg"


def initial_data_page(data: object, *, assign: str = "var ytInitialData = ") -> str:
    return f"<html><body><script>{assign}{json.dumps(data)};</script></body></html>"


def metadata(external_id: object) -> dict:
    shelf = {"gridChannelRenderer": {"channelId": FEATURED}}
    return {
        "contents": [shelf],
        "metadata": {"channelMetadataRenderer": {"externalId": external_id}},
    }


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        pytest.param(initial_data_page(metadata(OWN)), OWN, id="initial-data"),
        pytest.param(
            initial_data_page(metadata(OWN), assign='window["ytInitialData"] = '),
            OWN,
            id="initial-data-window",
        ),
        pytest.param(
            f'<head><meta itemprop="channelId" content="{OWN}"></head>'
            f'<body><a href="/channel/{FEATURED}">friend</a></body>',
            OWN,
            id="meta-channelId",
        ),
        pytest.param(
            f'<head><meta content="{OWN}" itemprop="identifier"></head>', OWN, id="meta-reordered"
        ),
        pytest.param(
            f'<a href="/channel/{FEATURED}"></a><link href="https://www.youtube.com/channel/{OWN}"'
            ' rel="canonical">',
            OWN,
            id="canonical",
        ),
        pytest.param(
            initial_data_page(metadata("not-an-id"))
            + f'<meta itemprop="identifier" content="{OWN}">',
            OWN,
            id="bad-external-id-then-meta",
        ),
        pytest.param(
            "<script>var ytInitialData = {broken;</script>"
            f'<link rel="canonical" href="https://www.youtube.com/channel/{OWN}/videos">',
            OWN,
            id="broken-json-then-canonical",
        ),
        pytest.param(
            '<link rel="canonical" href="https://www.youtube.com/watch?v=dQw4w9WgXcQ">'
            f'<a href="/channel/{FEATURED}"></a>',
            None,
            id="canonical-not-a-channel",
        ),
        pytest.param(f"<p>{FEATURED} is a friend of this channel</p>", None, id="only-others"),
        pytest.param("", None, id="empty"),
    ],
)
def test_the_channel_id_comes_only_from_the_pages_own_metadata(page: str, expected) -> None:
    assert channel_id_from_page(page) == expected


@pytest.fixture
def pages(youtube: FakeYouTube):
    with httpx.Client(timeout=2) as http:
        yield ChannelPages(http, youtube.web_base_url)


@pytest.mark.parametrize("style", ["initial_data", "meta", "canonical", "consent"])
def test_pages_of_every_style_from_the_fake_site(youtube: FakeYouTube, pages, style) -> None:
    youtube.add_channel(FEATURED, custom_name="Friend")
    youtube.add_channel(OWN, custom_name="Mine", page_style=style)
    assert pages.channel_id("Mine") == OWN
    assert youtube.units() == 0
    assert all(r.key is None for r in youtube.requests)  # no API key on a page request


def test_reserved_names_use_the_c_path_and_missing_pages_give_nothing(youtube, pages) -> None:
    youtube.add_channel(OWN, custom_name="watch")
    assert pages.channel_id("watch") == OWN
    assert pages.channel_id("nobody") is None
    assert youtube.add_channel(FEATURED, custom_name="blank", page_style="none")
    assert pages.channel_id("blank") is None
    assert [r.path for r in youtube.requests] == ["/c/watch", "/nobody", "/blank"]


def test_non_latin_names_are_percent_encoded(youtube, pages) -> None:
    youtube.add_channel(OWN, custom_name="ช่องไทย")
    assert pages.channel_id("ช่องไทย") == OWN
    assert youtube.requests[-1].path.startswith("/%E0%B8%8A")


def test_an_unreachable_site_gives_nothing() -> None:
    with httpx.Client(timeout=0.5) as http:
        assert ChannelPages(http, "http://127.0.0.1:9").channel_id("Mine") is None
