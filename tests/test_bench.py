"""The benchmarks' own parts, run small: the floor through a real worker, the one-thread timer.

A benchmark that breaks shows only when someone next runs ``make bench``; these runs are here
so that a change to the job's code breaks them in the test suite instead.
"""

from __future__ import annotations

import json

import pytest
import redis

from bench import _common, job_cpu, throughput
from tests.fake_youtube import FakeYouTube


@pytest.fixture
def bench_database(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    # The benchmarks empty their database: here it is this test process's own.
    monkeypatch.setattr(_common, "BENCH_REDIS_URL", redis_url)
    return redis_url


def test_each_floor_task_records_its_start_call_and_finish(
    bench_database: str, youtube: FakeYouTube, redis_client: redis.Redis
) -> None:
    figures = throughput.floor(youtube, "threads", 4, jobs=20, latency=0.01)

    assert figures.jobs_per_second > 0 and figures.cpu_ms_per_job > 0
    assert youtube.calls("channels.list") == 20
    for job_id in range(20):
        job = redis_client.hgetall(f"bench:bench:{job_id}")
        assert job["status"] == "DONE"
        (item,) = json.loads(job["data"])["items"]  # the fake's reply, as the API sends it
        assert item["snippet"]["title"] == "Bench channel"


def test_job_cpu_times_the_floor_and_the_pipeline(
    bench_database: str, redis_client: redis.Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    assert job_cpu.main(["--jobs", "20", "--rounds", "2"]) == 0

    rounds = [line.split() for line in capsys.readouterr().out.splitlines()[2:4]]
    for number, (round_number, floor, pipeline, extra) in enumerate(rounds, start=1):
        assert int(round_number) == number
        # The pipeline does all the floor does and more.
        assert 0 < float(floor) < float(pipeline)
        assert float(extra) == pytest.approx(float(pipeline) - float(floor), abs=0.002)
    assert redis_client.dbsize() == 0  # emptied after itself
