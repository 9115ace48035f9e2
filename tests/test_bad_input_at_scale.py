"""A run of 10,000 random and hostile strings: each fails cleanly or resolves, no crash, and
no API call for input that is not an identifier."""

from __future__ import annotations

import collections
import contextlib
import random
import string

import pytest

from collector.client import CollectorClient
from collector.config import Settings
from collector.errors import InvalidIdentifier
from collector.identifiers import parse_identifier
from collector.models import JobStatus
from tests.fake_youtube import FakeYouTube

pytestmark = pytest.mark.slow

REAL_CHANNEL = "UC_x5XG1OV2P6uZZ5FSM9Ttw"


def hostile_strings(count: int, seed: int = 1234) -> list[str]:
    rng = random.Random(seed)
    unicode_pool = "".join(chr(c) for c in range(0x20, 0x3000) if chr(c).isprintable())
    makers = [
        lambda: "".join(rng.choices(unicode_pool, k=rng.randint(0, 40))),
        lambda: "".join(chr(rng.randint(0, 31)) for _ in range(rng.randint(1, 10))) + "@abc",
        lambda: "@" + "".join(rng.choices(string.ascii_letters + "_-.", k=rng.randint(1, 40))),
        lambda: rng.choice(["https://evil.example/", "http://youtube.com.evil.com/",
                            "https://youtube.com@evil.com/", "ftp://youtube.com/"]) + "@name",
        lambda: "https://www.youtube.com/" + "".join(rng.choices(string.printable, k=30)),
        lambda: "UC" + "".join(rng.choices(string.ascii_letters, k=rng.randint(18, 26))),
        lambda: "javascript:alert(1)//youtube.com/@x",
        lambda: "%" + "".join(rng.choices("0123456789abcdefXYZ%", k=rng.randint(1, 30))),
        lambda: "x" * rng.choice([3000, 100_000]),
        lambda: rng.choice(["", " ", "\t\n", "\x00", "@", "@@", "youtube.com", "https://"]),
        lambda: rng.choice([REAL_CHANNEL, "@GoogleDevelopers", f"youtu.be/{REAL_CHANNEL[:11]}"]),
    ]  # fmt: skip
    return [rng.choice(makers)() for _ in range(count)]


@pytest.mark.timeout(600)  # 10,000 jobs: about 80 s alone on 2 cores, more when shared
def test_ten_thousand_hostile_inputs(
    youtube: FakeYouTube, settings: Settings, start_worker
) -> None:
    youtube.add_channel(REAL_CHANNEL, handle="GoogleDevelopers")
    inputs = hostile_strings(10_000)
    valid = {}
    for text in inputs:
        with contextlib.suppress(InvalidIdentifier):
            valid[text] = parse_identifier(text)
    worker = start_worker(concurrency=16, pool="threads")
    client = CollectorClient(settings)

    run_id = client.create_run(inputs)
    run = client.wait(run_id, timeout=540)

    jobs = client.all_jobs(run_id)
    assert [job.input for job in jobs] == inputs  # nothing lost, not even a 100 kB string
    assert run.counts["DONE"] + run.counts["FAILED"] == len(inputs)
    codes = collections.Counter(job.error["code"] for job in jobs if job.error)
    assert set(codes) <= {"invalid_identifier", "not_found"}
    for job in jobs:
        if job.input not in valid:
            assert job.status is JobStatus.FAILED and job.error is not None
            assert job.error["code"] == "invalid_identifier"
            assert len(job.error["message"]) < 1000
        elif job.status is JobStatus.DONE:
            assert job.channel_id == REAL_CHANNEL
    # Only identifiers reach the API: every request names a value some valid input gave.
    values = {identifier.value for identifier in valid.values()}
    for request in youtube.requests:
        filters = ("id", "forHandle", "forUsername")
        # A channels.list by id may ask for several inputs' ids at once, comma-separated.
        asked = [v for name in filters for p in request.params.get(name, []) for v in p.split(",")]
        assert all(value.removeprefix("@") in values for value in asked), request
    assert youtube.calls() <= sum(1 for text in inputs if text in valid)
    assert worker.process.poll() is None
    assert "Traceback" not in worker.log()
