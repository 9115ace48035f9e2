"""Recent uploads through a real worker: every field, their cost, and channels that lack some."""

from __future__ import annotations

from collector.config import Settings
from collector.models import JobStatus
from tests.fake_youtube import FakeYouTube
from tests.workers import complete_run

CHANNEL = "UC_x5XG1OV2P6uZZ5FSM9Ttw"


def ids(n: int) -> str:
    return f"UC{n:022d}"


def test_the_ten_newest_uploads_with_every_field_for_three_units(
    youtube: FakeYouTube, settings: Settings, start_worker
) -> None:
    youtube.add_channel(CHANNEL, title="Google Developers", handle="GoogleDevelopers")
    for n in range(11):
        youtube.add_video(
            CHANNEL, f"oldVideo{n:03d}", published_at=f"2023-01-{n + 1:02d}T10:00:00Z"
        )
    youtube.add_video(CHANNEL, "upcomingLiv", title="Soon", duration="P0D",
                      live_broadcast_content="upcoming", like_count=None, comment_count=None,
                      published_at="2024-05-02T00:00:00Z")  # fmt: skip
    youtube.add_video(CHANNEL, "newestVideo", title="Newest", duration="PT1H2M3S",
                      view_count=5000, like_count=300, comment_count=40, made_for_kids=True,
                      tags=["android", "kotlin"], category_id="27", default_language="fr",
                      published_at="2024-05-03T00:00:00Z")  # fmt: skip
    start_worker()

    run, [job] = complete_run(settings, ["@GoogleDevelopers"])

    assert job.status is JobStatus.DONE and job.data is not None
    videos = job.data["recent_videos"]
    assert [v["video_id"] for v in videos] == ["newestVideo", "upcomingLiv"] + [
        f"oldVideo{n:03d}" for n in range(10, 2, -1)
    ]
    assert videos[0] == {
        "video_id": "newestVideo",
        "title": "Newest",
        "published_at": "2024-05-03T00:00:00Z",
        "duration_seconds": 3723,
        "view_count": 5000,
        "like_count": 300,
        "comment_count": 40,
        "live_broadcast_content": "none",
        "made_for_kids": True,
        "tags": ["android", "kotlin"],
        "category_id": "27",
        "default_language": "fr",
    }
    upcoming = videos[1]
    assert (upcoming["duration_seconds"], upcoming["live_broadcast_content"]) == (0, "upcoming")
    assert (upcoming["like_count"], upcoming["comment_count"]) == (None, None)
    assert videos[2]["duration_seconds"] == 253 and videos[2]["made_for_kids"] is False
    assert job.data["notes"] == []
    # forHandle, the uploads playlist, one videos.list for the ten.
    assert (job.route, job.units, run.units, youtube.units()) == (
        "channels.list:forHandle", 3, 3, 3,
    )  # fmt: skip
    playlist = next(r for r in youtube.requests if r.method == "playlistItems.list")
    assert playlist.params["playlistId"] == ["UU" + CHANNEL[2:]]
    assert playlist.params["maxResults"] == ["10"]
    details = next(r for r in youtube.requests if r.method == "videos.list")
    assert len(details.params["id"][0].split(",")) == 10


def test_channels_lacking_uploads_still_end_done_with_a_note(
    youtube: FakeYouTube, settings: Settings, start_worker
) -> None:
    youtube.add_channel(ids(1), title="Never uploaded")
    youtube.add_channel(ids(2), title="Counts videos, lists none", video_count=3)
    youtube.add_channel(ids(3), title="Hidden uploads", uploads=False)
    youtube.add_video(ids(3), "hiddenVid01")
    youtube.add_channel(ids(4), title="Lost one")
    for n in range(3):
        youtube.add_video(ids(4), f"lostOne{n:04d}")
    youtube.remove_video("lostOne0001")  # still in the playlist, gone from videos.list
    start_worker(concurrency=1)

    run, jobs = complete_run(settings, [ids(n) for n in range(1, 5)])

    assert [job.status for job in jobs] == [JobStatus.DONE] * 4
    data = [job.data or {} for job in jobs]
    assert [d["recent_videos"] for d in data[:3]] == [[], [], []]
    assert data[0]["notes"] == ["the channel has no public uploads"]
    assert data[1]["notes"] == ["the channel has no public uploads"]
    assert data[2]["notes"][0].startswith("recent uploads not collected: the uploads list")
    assert "playlistNotFound" in data[2]["notes"][0]
    assert [v["video_id"] for v in data[3]["recent_videos"]] == ["lostOne0002", "lostOne0000"]
    assert data[3]["notes"] == [
        "1 of 3 recent uploads were gone (deleted or made private) when their details were read"
    ]
    # One channels.list for all four; no playlist call for a channel counting 0 videos; the
    # 404 is charged; one videos.list for the one channel with videos listed.
    assert youtube.calls("channels.list") == 1
    assert youtube.calls("playlistItems.list") == 3
    assert youtube.calls("videos.list") == 1
    assert run.units == youtube.units() == 5


def test_no_recent_videos_costs_one_call_per_channel(
    youtube: FakeYouTube, settings: Settings, start_worker
) -> None:
    for n in range(3):
        youtube.add_channel(ids(n), handle=f"handle{n}")
        youtube.add_video(ids(n), f"someVideo{n:02d}")
    start_worker(env={"RECENT_VIDEOS": "0"})

    run, jobs = complete_run(settings, [f"@handle{n}" for n in range(3)])

    assert [(job.units, (job.data or {})["recent_videos"]) for job in jobs] == [(1, None)] * 3
    assert youtube.calls() == youtube.calls("channels.list") == run.units == 3


def test_fewer_recent_videos_ask_for_fewer(
    youtube: FakeYouTube, settings: Settings, start_worker
) -> None:
    youtube.add_channel(CHANNEL)
    for n in range(5):
        youtube.add_video(CHANNEL, f"someVideo{n:02d}")
    start_worker(env={"RECENT_VIDEOS": "2"})

    _, [job] = complete_run(settings, [CHANNEL])

    assert [v["video_id"] for v in (job.data or {})["recent_videos"]] == [
        "someVideo04",
        "someVideo03",
    ]
    playlist = next(r for r in youtube.requests if r.method == "playlistItems.list")
    assert playlist.params["maxResults"] == ["2"]


def test_a_failing_uploads_call_fails_the_job_and_caches_nothing(
    youtube: FakeYouTube, settings: Settings, start_worker, redis_client
) -> None:
    youtube.add_channel(CHANNEL)
    youtube.add_video(CHANNEL, "someVideo00")
    youtube.fail_next(50, "503", method="playlistItems.list")  # more than any retry budget
    start_worker()

    _, [job] = complete_run(settings, [CHANNEL])

    assert job.status is JobStatus.FAILED and job.error is not None
    assert (job.error["code"], job.error["retryable"]) == ("upstream_error", True)
    assert redis_client.keys("*:data:*") == []
