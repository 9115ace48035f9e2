"""Structured logs: one JSON object a line, with the job's fields, raw input clipped, no key."""

from __future__ import annotations

import json
import logging

from collector.client import CollectorClient
from collector.config import Settings
from collector.logs import JsonFormatter, clip_input
from tests.conftest import API_KEY
from tests.fake_youtube import FakeYouTube

GOOGLE_DEVELOPERS = "UC_x5XG1OV2P6uZZ5FSM9Ttw"


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("collector.test", logging.INFO, __file__, 1, message, args, None)
    made.__dict__.update(extra)
    return made


def test_a_record_becomes_one_json_line_with_its_extra_fields() -> None:
    line = JsonFormatter().format(record("job %s", "DONE", run_id="r1", units=1, job_id="0"))

    document = json.loads(line)
    assert "\n" not in line
    assert document["message"] == "job DONE"
    assert (document["run_id"], document["job_id"], document["units"]) == ("r1", "0", 1)
    assert (document["level"], document["logger"]) == ("INFO", "collector.test")
    assert document["ts"].endswith("+00:00")


def test_a_key_is_redacted_wherever_it_appears_in_the_line() -> None:
    formatter = JsonFormatter([API_KEY])

    line = formatter.format(record("using %s", API_KEY, input=f"pasted {API_KEY}"))

    assert API_KEY not in line
    assert json.loads(line)["input"] == "pasted [redacted-api-key]"


def test_raw_input_is_clipped_and_says_how_much_was_cut() -> None:
    assert clip_input("@short") == "@short"
    clipped = clip_input("x" * 5000)
    assert clipped.startswith("x" * 100) and clipped.endswith("…(+4900 chars)")


def test_the_worker_logs_json_lines_with_job_fields_and_never_a_key(
    youtube: FakeYouTube, settings: Settings, start_worker
) -> None:
    youtube.add_channel(GOOGLE_DEVELOPERS, title="Google Developers", handle="GoogleDevelopers")
    worker = start_worker(concurrency=1)
    client = CollectorClient(settings)
    long_input = "@" + "a" * 3000

    run_id = client.create_run(["@GoogleDevelopers", long_input])
    client.wait(run_id, timeout=60)
    worker.stop()

    lines = [json.loads(line) for line in worker.log().splitlines() if line.startswith("{")]
    jobs = {line["job_id"]: line for line in lines if line.get("message", "").startswith("job ")}
    assert set(jobs) == {"0", "1"}
    done, failed = jobs["0"], jobs["1"]
    assert (done["run_id"], done["status"], done["channel_id"]) == (
        run_id, "DONE", GOOGLE_DEVELOPERS,
    )  # fmt: skip
    assert (done["route"], done["units"], done["calls"]) == ("channels.list:forHandle", 1, 1)
    assert isinstance(done["duration_ms"], int)
    assert (failed["status"], failed["error_code"]) == ("FAILED", "invalid_identifier")
    assert len(failed["input"]) < 150
    assert "a" * 200 not in worker.log()  # Celery's own lines show the kwargs clipped too
    assert any(line["message"] == f"run {run_id} COMPLETED" for line in lines)
    assert API_KEY not in worker.log()
    assert "task events: ON" in worker.log()  # what Flower needs to see the workers
