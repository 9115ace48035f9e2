"""Batching across jobs: up to 50 channels (and their videos) a call, matched by id."""

from __future__ import annotations

from urllib.parse import unquote

from collector.config import Settings
from collector.models import JobStatus
from tests.fake_youtube import FakeYouTube
from tests.workers import complete_run

RUN_SIZE = 500


def channel_id(n: int) -> str:
    return f"UC{n:022d}"


def video_id(n: int, k: int) -> str:
    return f"v{n:04d}x{k:05d}"


def add_channels(youtube: FakeYouTube, count: int, videos: int = 0) -> list[str]:
    for n in range(count):
        youtube.add_channel(channel_id(n), title=f"Channel {n}")
        for k in range(videos):
            youtube.add_video(channel_id(n), video_id(n, k), title=f"Video {n}.{k}")
    return [channel_id(n) for n in range(count)]


def ids_per_call(youtube: FakeYouTube, method: str) -> list[int]:
    return [
        len(unquote(",".join(r.params["id"])).split(","))
        for r in youtube.requests
        if r.method == method
    ]


def test_500_channel_ids_without_videos_cost_at_most_15_units(
    youtube: FakeYouTube, settings: Settings, start_worker
) -> None:
    inputs = add_channels(youtube, RUN_SIZE)
    start_worker(env={"RECENT_VIDEOS": "0"})

    run, jobs = complete_run(settings, inputs, timeout=110)

    assert run.counts["DONE"] == RUN_SIZE
    assert run.units == youtube.units() <= 15
    assert max(ids_per_call(youtube, "channels.list")) <= 50
    assert sum(ids_per_call(youtube, "channels.list")) == RUN_SIZE  # each channel asked once
    # Matched by id: the fake answers in its own order, never the request's.
    assert all(
        job.data is not None and job.data["title"] == f"Channel {int(job.input[2:])}"
        for job in jobs
    )
    assert sum(job.units for job in jobs) == run.units
    assert sum(1 for job in jobs if job.units) == youtube.calls("channels.list")


def test_500_channels_with_ten_recent_videos_cost_at_most_1_3_units_each(
    youtube: FakeYouTube, settings: Settings, start_worker
) -> None:
    inputs = add_channels(youtube, RUN_SIZE, videos=11)
    start_worker()

    run, jobs = complete_run(settings, inputs, timeout=110)

    assert run.counts["DONE"] == RUN_SIZE
    assert run.units == youtube.units() <= 1.3 * RUN_SIZE
    assert youtube.calls("playlistItems.list") == RUN_SIZE
    assert max(ids_per_call(youtube, "videos.list")) <= 50
    assert sum(ids_per_call(youtube, "videos.list")) == 10 * RUN_SIZE
    for job in jobs:
        n = int(job.input[2:])
        videos = (job.data or {})["recent_videos"]
        assert [v["video_id"] for v in videos] == [video_id(n, k) for k in range(10, 0, -1)]
        assert all(v["title"].startswith(f"Video {n}.") for v in videos)


def test_an_id_missing_from_the_answer_is_that_jobs_not_found_only(
    youtube: FakeYouTube, settings: Settings, start_worker
) -> None:
    known = add_channels(youtube, 40)
    missing = {channel_id(1000 + n) for n in range(5)}
    inputs = known[:3] + sorted(missing) + known[3:]
    start_worker(concurrency=1, env={"RECENT_VIDEOS": "0"})

    run, jobs = complete_run(settings, inputs, timeout=110)

    for job in jobs:
        if job.input in missing:
            assert job.status is JobStatus.FAILED and job.error is not None
            assert job.error["code"] == "not_found"
        else:
            assert job.status is JobStatus.DONE and job.channel_id == job.input
            assert job.data is not None and job.data["title"] == f"Channel {int(job.input[2:])}"
    assert youtube.calls() == 1  # all 45 in one call: the unknown ones are cached as such
    assert run.units == 1
