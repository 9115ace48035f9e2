"""Every identifier form through a real worker: routes, costs, the cache, de-duplication."""

from __future__ import annotations

from collector.client import CollectorClient
from collector.config import Settings
from collector.models import JobStatus
from tests.conftest import API_KEY
from tests.fake_youtube import FakeYouTube

IDS = {name: f"UC{name * 22}" for name in "ABCDEFGHI"}
VIDEO = "vidOfChanI0"

# (input, channel, route, units): one run of every kind, one job at a time, so each job's
# cost is exact. The first id job fetches the other id with it (B was still PENDING).
MIXED_RUN = [
    (IDS["A"], "A", "channels.list:id", 1),
    (f"https://www.youtube.com/channel/{IDS['B']}/videos", "B", "data-cache", 0),
    ("@HandleC", "C", "channels.list:forHandle", 1),
    ("youtube.com/user/UserD", "D", "channels.list:forUsername", 1),
    ("http://youtube.com/user/HandleE?si=x", "E",
     "channels.list:forUsername+channels.list:forHandle", 2),
    ("https://www.youtube.com/c/CustomF/featured", "F", "page+channels.list:id", 1),
    ("youtube.com/CustomG", "G", "page+channels.list:id", 1),  # behind the consent page
    ("m.youtube.com/c/BlankH", "H", "page+channels.list:forHandle", 1),
    (f"https://youtu.be/{VIDEO}", "I", "videos.list+channels.list:id", 2),
    ("@nobody-here", None, None, 1),
    ("youtube.com/playlist?list=PL123", None, None, 0),
]  # fmt: skip


def add_mixed_channels(youtube: FakeYouTube) -> None:
    youtube.add_channel(IDS["A"], title="A")
    youtube.add_channel(IDS["B"], title="B")
    youtube.add_channel(IDS["C"], title="C", handle="HandleC")
    youtube.add_channel(IDS["D"], title="D", username="UserD")
    youtube.add_channel(IDS["E"], title="E", handle="HandleE")
    youtube.add_channel(IDS["F"], title="F", custom_name="CustomF")
    youtube.add_channel(IDS["G"], title="G", custom_name="CustomG", page_style="consent")
    youtube.add_channel(IDS["H"], title="H", handle="BlankH", page_style="none")
    youtube.add_channel(IDS["I"], title="I")
    youtube.add_video(IDS["I"], VIDEO)


def test_a_run_of_every_kind_costs_each_route_exactly_and_a_second_run_nothing(
    youtube: FakeYouTube, settings: Settings, start_worker
) -> None:
    add_mixed_channels(youtube)
    worker = start_worker(concurrency=1, env={"RECENT_VIDEOS": "0"})
    client = CollectorClient(settings)
    inputs = [row[0] for row in MIXED_RUN]

    run = client.wait(client.create_run(inputs), timeout=60)

    jobs = client.all_jobs(run.run_id)
    assert [(job.channel_id, job.route, job.units) for job in jobs] == [
        (IDS[channel] if channel else None, route, units) for _, channel, route, units in MIXED_RUN
    ]
    assert [job.error["code"] for job in jobs if job.error] == ["not_found", "invalid_identifier"]
    assert run.units == youtube.units() == sum(row[3] for row in MIXED_RUN) == 11
    assert (youtube.calls("channels.list"), youtube.calls("videos.list")) == (10, 1)
    assert youtube.calls("page") == 3
    assert all(r.key is None for r in youtube.requests if r.method == "page")
    assert jobs[6].data is not None and jobs[6].data["title"] == "G"
    requests = len(youtube.requests)

    second = client.wait(client.create_run(inputs), timeout=60)

    assert second.units == 0
    assert len(youtube.requests) == requests  # no API call, no page
    again = client.all_jobs(second.run_id)
    assert [job.channel_id for job in again] == [job.channel_id for job in jobs]
    assert [job.status for job in again] == [job.status for job in jobs]
    assert {job.route for job in again if job.status is JobStatus.DONE} == {
        "data-cache",
        "resolution-cache+data-cache",
    }
    assert API_KEY not in worker.log()


def test_inputs_naming_one_channel_fetch_it_once_across_processes(
    youtube: FakeYouTube, settings: Settings, start_worker
) -> None:
    channel = IDS["A"]
    youtube.add_channel(channel, title="A", handle="HandleA", custom_name="CustomA")
    for n in range(3):
        youtube.add_video(channel, f"vidOfChanA{n}")
    youtube.latency = 0.2  # every fetch is in flight while the other jobs start
    start_worker(concurrency=3)
    start_worker(concurrency=3)
    client = CollectorClient(settings)
    inputs = [
        channel,
        f"youtube.com/channel/{channel}",
        channel,
        "https://www.youtube.com/watch?v=vidOfChanA1&list=PL1",
        "youtube.com/c/CustomA",
        "https://youtube.com/shorts/vidOfChanA2",
        f"youtube.com/channel/{channel}/about",
        channel,
    ]

    run = client.wait(client.create_run(inputs), timeout=60)

    jobs = client.all_jobs(run.run_id)
    assert {(job.status, job.channel_id) for job in jobs} == {(JobStatus.DONE, channel)}
    by_id = [r for r in youtube.requests if r.method == "channels.list"]
    assert [r.params["id"] for r in by_id] == [[channel]]  # one fetch of the channel
    assert youtube.calls("playlistItems.list") == 1  # its uploads read once too
    # The two video inputs each ask which channel their video belongs to; nothing else.
    assert youtube.calls("videos.list") == 3
    assert run.units == youtube.units() == 5
    assert sorted(job.units for job in jobs) == [0] * 5 + [1, 1, 3]
    assert {len(job.data["recent_videos"]) for job in jobs} == {3}  # type: ignore[index]
