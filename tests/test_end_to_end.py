"""A run through a real Celery worker, the real Redis and the fake YouTube API."""

from __future__ import annotations

import json
import subprocess
import sys

from collector.client import CollectorClient
from collector.config import Settings
from collector.models import JobStatus, RunStatus
from tests.conftest import API_KEY
from tests.fake_youtube import FakeYouTube

GOOGLE_DEVELOPERS = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
SECOND = "UCVHFbqXqoYvEWM1Ddxl0QDg"
LEGACY = "UCnUYZLuoy1rq1aVMwx4aTzw"


def test_a_mixed_run_completes_with_every_job_terminal(
    youtube: FakeYouTube, settings: Settings, start_worker
) -> None:
    youtube.add_channel(GOOGLE_DEVELOPERS, title="Google Developers", handle="GoogleDevelopers",
                        subscriber_count=2_340_000, view_count=160_361_638)  # fmt: skip
    youtube.add_channel(SECOND, title="Android Developers", handle="AndroidDevelopers",
                        hidden_subscriber_count=True)  # fmt: skip
    youtube.add_channel(LEGACY, title="Legacy Channel", username="OldSchoolName")
    # One job at a time, in input order, so that what the cache saves is exact.
    worker = start_worker(concurrency=1, env={"RECENT_VIDEOS": "0"})
    client = CollectorClient(settings)
    inputs = [
        GOOGLE_DEVELOPERS,
        f"https://www.youtube.com/channel/{SECOND}",
        "@googledevelopers",
        "https://www.youtube.com/@AndroidDevelopers/videos",
        "https://www.youtube.com/user/OldSchoolName",
        "@no-such-handle",
        "not a channel at all",
        "",
    ]

    run_id = client.create_run(inputs)
    run = client.wait(run_id, timeout=60)

    assert run.status is RunStatus.COMPLETED and run.completed_at
    assert run.counts == {"PENDING": 0, "PROCESSING": 0, "DONE": 5, "FAILED": 3}
    jobs = client.all_jobs(run_id)
    assert [job.input for job in jobs] == inputs
    assert [(job.status, job.channel_id) for job in jobs[:5]] == [
        (JobStatus.DONE, GOOGLE_DEVELOPERS),
        (JobStatus.DONE, SECOND),
        (JobStatus.DONE, GOOGLE_DEVELOPERS),
        (JobStatus.DONE, SECOND),
        (JobStatus.DONE, LEGACY),
    ]
    assert [job.error["code"] for job in jobs[5:]] == [
        "not_found",
        "invalid_identifier",
        "invalid_identifier",
    ]  # type: ignore[index]
    assert all(job.attempts == 1 and job.finished_at for job in jobs)

    data = jobs[0].data
    assert data is not None
    assert data["title"] == "Google Developers"
    assert data["handle"] == "@googledevelopers"
    assert (data["subscriber_count"], data["view_count"]) == (2_340_000, 160_361_638)
    assert data["uploads_playlist_id"] == "UU" + GOOGLE_DEVELOPERS[2:]
    assert jobs[1].data is not None and jobs[1].data["subscriber_count"] is None
    assert jobs[1].data["hidden_subscriber_count"] is True
    # The first call fetched both channel ids (the second job was still PENDING) and named
    # both handles, so the next three jobs spent nothing.
    assert [job.route for job in jobs[:5]] == [
        "channels.list:id", "data-cache", "resolution-cache+data-cache",
        "resolution-cache+data-cache", "channels.list:forUsername",
    ]  # fmt: skip
    assert [job.units for job in jobs] == [1, 0, 0, 0, 1, 1, 0, 0]

    # Invalid input never reaches the API: three calls for the six valid inputs.
    assert youtube.calls("channels.list") == 3
    assert run.units == 3
    assert API_KEY not in worker.log()


def test_the_cli_submits_waits_and_prints_the_documented_json(
    youtube: FakeYouTube, settings: Settings, worker_env: dict[str, str], start_worker, tmp_path
) -> None:
    youtube.add_channel(GOOGLE_DEVELOPERS, title="Google Developers", handle="GoogleDevelopers")
    start_worker()
    env = {**worker_env, "PATH": "/usr/bin:/bin"}

    result = subprocess.run(
        [sys.executable, "-m", "collector.cli", "submit", "--wait", "--timeout", "60", "--json",
         "--", "@GoogleDevelopers", "-not-a-handle-"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=90,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) >= {"run_id", "status", "total", "counts", "jobs"}
    assert document["status"] == "COMPLETED"
    assert document["counts"] == {"PENDING": 0, "PROCESSING": 0, "DONE": 1, "FAILED": 1}
    first, second = document["jobs"]
    assert set(first) >= {"job_id", "input", "status", "channel_id", "error", "data"}
    assert (first["status"], first["channel_id"], first["error"]) == (
        "DONE",
        GOOGLE_DEVELOPERS,
        None,
    )
    assert second["error"]["code"] in ("invalid_identifier", "not_found")
    assert "done 1, failed 1, total 2" in result.stderr
    assert API_KEY not in result.stdout + result.stderr
