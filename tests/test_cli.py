"""The `collector` command as a person runs it: exit codes, messages, JSON, and start-up checks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from collector.client import CollectorClient
from collector.config import Settings
from tests.conftest import API_KEY
from tests.fake_youtube import FakeYouTube

CHANNEL = "UC_x5XG1OV2P6uZZ5FSM9Ttw"


def collector(
    *args: str, env: dict[str, str], cwd: Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "collector.cli", *args],
        capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", **env}, cwd=cwd,
        input=stdin, timeout=60,
    )  # fmt: skip


def test_submit_prints_the_run_id_and_writes_every_job(
    settings: Settings, worker_env: dict[str, str], tmp_path: Path
) -> None:
    listing = tmp_path / "channels.txt"
    listing.write_text("@first\n\n  @second  \n")

    result = collector(
        "submit", "--json", "--file", str(listing), "--", "-dash", env=worker_env, cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    run_id = json.loads(result.stdout)["run_id"]
    jobs = CollectorClient(settings).all_jobs(run_id)
    assert [job.input for job in jobs] == ["-dash", "@first", "@second"]


def test_submit_reads_identifiers_from_stdin(
    settings: Settings, worker_env: dict[str, str], tmp_path: Path
) -> None:
    result = collector("submit", "--file", "-", env=worker_env, cwd=tmp_path, stdin="@a\n@b\n")
    assert result.returncode == 0, result.stderr
    assert CollectorClient(settings).get_run(result.stdout.strip()).total == 2


def test_usage_errors_exit_2_and_operational_errors_exit_1(
    settings: Settings, worker_env: dict[str, str], tmp_path: Path
) -> None:
    nothing = collector("submit", env=worker_env, cwd=tmp_path)
    unknown = collector("status", "no-such-run", env=worker_env, cwd=tmp_path)
    bad_flag = collector("status", env=worker_env, cwd=tmp_path)
    missing_file = collector("submit", "--file", "nope.txt", env=worker_env, cwd=tmp_path)

    assert (nothing.returncode, unknown.returncode, bad_flag.returncode) == (1, 1, 2)
    assert missing_file.returncode == 1
    for result in (nothing, unknown, missing_file):
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("collector: ")
    assert "no run 'no-such-run'" in unknown.stderr


def test_an_unreachable_redis_is_one_clear_line(worker_env: dict[str, str], tmp_path: Path) -> None:
    env = {**worker_env, "REDIS_URL": "redis://:secret@127.0.0.1:1/0"}
    result = collector("status", "x", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == "collector: cannot reach Redis at redis://***@127.0.0.1:1/0\n"


def test_wait_times_out_with_exit_1_when_no_worker_runs(
    worker_env: dict[str, str], tmp_path: Path
) -> None:
    result = collector(
        "submit", "--wait", "--timeout", "1", "@nobody", env=worker_env, cwd=tmp_path
    )
    assert result.returncode == 1
    assert "not complete after 1 s" in result.stderr


def test_status_prints_a_table_and_the_json_shape(
    youtube: FakeYouTube,
    settings: Settings,
    worker_env: dict[str, str],
    start_worker,
    tmp_path: Path,
) -> None:
    youtube.add_channel(CHANNEL, title="Google Developers", handle="GoogleDevelopers")
    start_worker()
    client = CollectorClient(settings)
    run_id = client.create_run(["@GoogleDevelopers", "no spaces allowed"])
    client.wait(run_id, timeout=30)

    table = collector("status", run_id, env=worker_env, cwd=tmp_path)
    document = json.loads(
        collector("status", run_id, "--json", env=worker_env, cwd=tmp_path).stdout
    )

    assert table.returncode == 0
    assert "COMPLETED" in table.stdout and "Google Developers" in table.stdout
    assert "invalid_identifier" in table.stdout
    assert document["counts"] == {"PENDING": 0, "PROCESSING": 0, "DONE": 1, "FAILED": 1}
    assert [job["input"] for job in document["jobs"]] == ["@GoogleDevelopers", "no spaces allowed"]
    assert document["jobs"][1]["error"]["retryable"] is False


def test_resolve_works_in_process_and_prints_json_in_input_order(
    youtube: FakeYouTube, worker_env: dict[str, str], tmp_path: Path
) -> None:
    youtube.add_channel(CHANNEL, title="Google Developers", handle="GoogleDevelopers")

    result = collector(
        "resolve",
        "--json",
        "@GoogleDevelopers",
        "@missing",
        "bad input",
        env=worker_env,
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    found, missing, bad = json.loads(result.stdout)
    assert (found["input"], found["channel_id"], found["error"]) == (
        "@GoogleDevelopers",
        CHANNEL,
        None,
    )
    assert found["data"]["title"] == "Google Developers"
    assert (missing["error"]["code"], bad["error"]["code"]) == ("not_found", "invalid_identifier")
    assert API_KEY not in result.stdout + result.stderr


def test_a_worker_without_keys_refuses_to_start(worker_env: dict[str, str], tmp_path: Path) -> None:
    env = {**worker_env, "YOUTUBE_API_KEYS": " , "}
    command = [sys.executable, "-m", "celery", "-A", "collector.celery_app", "worker"]
    env["PATH"] = "/usr/bin:/bin"
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
    )
    assert result.returncode != 0
    assert "YOUTUBE_API_KEYS is not set" in result.stderr
