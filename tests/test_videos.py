"""Video items and ISO 8601 durations, from the recorded sample and the API's odd cases."""

from __future__ import annotations

import pytest

from collector.errors import UpstreamError
from collector.models import RecentVideo
from collector.videos import duration_seconds, parse_video, playlist_video_ids
from tests.fake_youtube.samples import sample


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT21M7S", 1267),
        ("PT4M13S", 253),
        ("PT59S", 59),
        ("PT1H", 3600),
        ("PT1H2M3S", 3723),
        ("PT10H0M1S", 36001),
        ("P1DT2H3M4S", 93784),
        ("P2W", 1209600),
        ("PT0S", 0),
        ("P0D", 0),  # an upcoming live stream
        ("PT", None),
        ("P", None),
        ("P1DT", None),
        ("4:13", None),
        ("PT1.5S", None),
        ("", None),
        (None, None),
        (253, None),
    ],
    ids=repr,
)
def test_iso_8601_durations(text: object, seconds: int | None) -> None:
    assert duration_seconds(text) == seconds


def test_the_recorded_video_item_parses_to_every_field() -> None:
    item = sample("videos.list_id_snippet_contentDetails_status_statistics.json")["items"][0]
    video = parse_video(item)
    assert video == RecentVideo(
        video_id="D-lhorsDlUQ",
        title="What are Actions on Google (Assistant on Air)",
        published_at="2019-03-21T20:37:49.000Z",
        duration_seconds=1267,
        view_count=7920,
        like_count=190,
        comment_count=32,
        live_broadcast_content="none",
        made_for_kids=None,  # this older recording predates status.madeForKids
        tags=item["snippet"]["tags"],
        category_id="28",
        default_language="en",
    )


def test_hidden_counts_are_null_not_zero() -> None:
    item = sample("videos.list_id_snippet_contentDetails_status_statistics.json")["items"][0]
    del item["statistics"]["likeCount"], item["statistics"]["commentCount"]
    del item["snippet"]["tags"]
    item["status"]["madeForKids"] = True
    video = parse_video(item)
    assert (video.like_count, video.comment_count, video.tags) == (None, None, [])
    assert video.made_for_kids is True


@pytest.mark.parametrize(
    "breakage",
    [
        lambda item: item.pop("id"),
        lambda item: item.update(snippet="not an object"),
        lambda item: item["statistics"].update(viewCount="many"),
        lambda item: item["snippet"].update(tags="one,two"),
    ],
)
def test_a_malformed_item_is_an_upstream_error(breakage) -> None:
    item = sample("videos.list_id_snippet_contentDetails_status_statistics.json")["items"][0]
    breakage(item)
    with pytest.raises(UpstreamError):
        parse_video(item)


def test_playlist_items_give_their_video_ids_in_order_once() -> None:
    body = sample("playlistItems.list_uploads_UU_snippet_contentDetails.json")
    ids = [item["contentDetails"]["videoId"] for item in body["items"]]
    assert playlist_video_ids(body["items"] + body["items"][:1]) == ids
    assert playlist_video_ids([{"snippet": {}}, {"contentDetails": {"videoId": 5}}]) == []
