"""Per-channel snapshots: sorted by time, bounded by count and age, read by client and CLI."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import redis

from collector.channels import parse_channel
from collector.client import CollectorClient
from collector.config import Settings
from collector.keys import Keys
from collector.models import ChannelData
from collector.snapshots import Snapshots
from tests.fake_youtube import FakeYouTube
from tests.fake_youtube.samples import sample

CHANNEL = "UC_x5XG1OV2P6uZZ5FSM9Ttw"


def recorded_channel() -> ChannelData:
    item = sample("channels.list_id_all_parts_topicDetails_status.json")["items"][0]
    return parse_channel(item, fetched_at="2024-01-01T00:00:00.000Z")


def at(days_ago: float, subscribers: int) -> ChannelData:
    when = datetime.now(UTC) - timedelta(days=days_ago)
    stamp = when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return dataclasses.replace(recorded_channel(), fetched_at=stamp, subscriber_count=subscribers)


def add(snapshots: Snapshots, client: redis.Redis, *channels: ChannelData) -> None:
    pipe = client.pipeline()
    for channel in channels:
        snapshots.add(pipe, channel)
    pipe.execute()


def test_history_is_sorted_by_time_and_bounded_by_age_and_count(redis_client) -> None:
    snapshots = Snapshots(redis_client, Keys("t:"), max_count=3, max_age=30 * 86400)
    channel_id = recorded_channel().channel_id
    latest = at(1, 300)
    add(snapshots, redis_client, at(2, 200), at(40, 1), latest, at(3, 100), latest)

    history = snapshots.history(channel_id)

    # The 40-day-old one is past the age bound; the same snapshot twice is stored once.
    assert [s["subscriber_count"] for s in history] == [100, 200, 300]
    assert [s["fetched_at"] for s in history] == sorted(s["fetched_at"] for s in history)
    assert set(history[0]) == {
        "channel_id", "fetched_at", "title", "handle", "subscriber_count",
        "hidden_subscriber_count", "view_count", "video_count",
    }  # fmt: skip
    add(snapshots, redis_client, at(0.5, 400))
    assert [s["subscriber_count"] for s in snapshots.history(channel_id)] == [200, 300, 400]
    assert 0 < redis_client.ttl(f"t:channel:{channel_id}:snapshots") <= 30 * 86400
    assert snapshots.history("UCnobody_____________xyz") == []


def test_runs_leave_a_history_read_by_the_client_and_the_cli(
    youtube: FakeYouTube, settings: Settings, worker_env: dict[str, str], start_worker, tmp_path
) -> None:
    youtube.add_channel(CHANNEL, title="Google Developers", handle="GoogleDevelopers",
                        subscriber_count=2_340_000, view_count=100)  # fmt: skip
    start_worker(env={"CHANNEL_DATA_MAX_AGE": "0"})  # every run fetches afresh
    client = CollectorClient(settings)
    first = client.wait(client.create_run([CHANNEL, "@GoogleDevelopers"]), timeout=60)
    youtube.add_channel(CHANNEL, title="Google Developers", handle="GoogleDevelopers",
                        subscriber_count=2_350_000, view_count=250)  # fmt: skip
    second = client.wait(client.create_run([CHANNEL]), timeout=60)

    history = client.get_channel_history(CHANNEL)

    assert [(s["subscriber_count"], s["view_count"]) for s in history][-1] == (2_350_000, 250)
    assert {(s["subscriber_count"], s["view_count"]) for s in history[:-1]} == {(2_340_000, 100)}
    # Every job's data is a snapshot (two fetches in one millisecond are one snapshot).
    jobs = client.all_jobs(first.run_id) + client.all_jobs(second.run_id)
    assert {s["fetched_at"] for s in history} == {job.data["fetched_at"] for job in jobs}  # type: ignore[index]

    env = {**worker_env, "PATH": "/usr/bin:/bin"}
    cli = [sys.executable, "-m", "collector.cli", "history"]
    shown = subprocess.run([*cli, CHANNEL, "--json"], capture_output=True, text=True, env=env,
                           cwd=tmp_path, timeout=30, check=True)  # fmt: skip
    assert json.loads(shown.stdout) == {"channel_id": CHANNEL, "snapshots": history}
    table = subprocess.run([*cli, CHANNEL], capture_output=True, text=True, env=env,
                           cwd=tmp_path, timeout=30, check=True)  # fmt: skip
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["FETCHED_AT", "SUBSCRIBERS", "VIEWS", "VIDEOS", "TITLE"]
    assert lines[-1].split()[1:4] == ["2350000", "250", "0"]
    refused = subprocess.run([*cli, "@GoogleDevelopers"], capture_output=True, text=True,
                             env=env, cwd=tmp_path, timeout=30)  # fmt: skip
    assert refused.returncode == 1 and "channel id" in refused.stderr
