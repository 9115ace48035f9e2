"""Metrics kept in Redis: scraped after a run through several prefork workers, they add up."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from collector.api import create_app
from collector.apikeys import fingerprint
from collector.client import CollectorClient
from collector.config import Settings
from tests.conftest import API_KEY, SECOND_API_KEY
from tests.fake_youtube import FakeYouTube

# Distinct channels, each a call of its own: resolutions and channel data are cached.
CHANNELS = {f"UC{n:022d}": f"MetricsChannel{n}" for n in range(10)}


def scrape(settings: Settings) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Every sample of GET /metrics, by sample name, then by its sorted labels."""
    with TestClient(create_app(replace(settings, api_token="t"))) as http:
        response = http.get("/metrics", headers={"Authorization": "Bearer t"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[labels] = sample.value
    return samples


def test_metrics_scraped_after_a_run_add_up_to_the_runs_counts(
    youtube: FakeYouTube, settings: Settings, start_worker
) -> None:
    for channel_id, handle in CHANNELS.items():
        youtube.add_channel(channel_id, title=handle, handle=handle)
    youtube.add_key(SECOND_API_KEY, budget=2)  # runs out of quota early in the run
    youtube.fail_next(2, "503")
    # No retries, so each injected 503 fails its job upstream_error.
    env = {"YOUTUBE_API_KEYS": f"{API_KEY},{SECOND_API_KEY}", "YOUTUBE_RETRY_ATTEMPTS": "1"}
    start_worker(concurrency=2, env=env)  # two replicas, each with two prefork processes
    start_worker(concurrency=2, env=env)
    client = CollectorClient(settings)
    inputs = [f"@{handle}" for handle in CHANNELS.values()] * 2 + [
        "@nobody-at-all", "@no-one-either", "not a channel", "", *CHANNELS,
    ]  # fmt: skip

    run = client.wait(client.create_run(inputs), timeout=60)
    metrics = scrape(settings)

    jobs = client.all_jobs(run.run_id)
    finished = metrics["collector_jobs_total"]
    by_status: Counter[str] = Counter()
    for labels, value in finished.items():
        by_status[dict(labels)["status"]] += int(value)
    assert by_status == {"DONE": run.counts["DONE"], "FAILED": run.counts["FAILED"]}
    codes = Counter(job.error["code"] for job in jobs if job.error)
    assert {dict(k)["error_code"]: int(v) for k, v in finished.items() if dict(k)["error_code"]} \
        == codes  # fmt: skip
    assert codes["upstream_error"] == 2 and codes["invalid_identifier"] == 2

    durations = metrics["collector_job_duration_seconds_bucket"]
    assert durations[(("le", "+Inf"),)] == len(inputs)
    assert metrics["collector_job_duration_seconds_count"][()] == len(inputs)
    assert 0 < metrics["collector_job_duration_seconds_sum"][()] < 60
    cumulative = [durations[key] for key in sorted(durations, key=lambda k: float(k[0][1]))]
    assert cumulative == sorted(cumulative)

    requests = [r for r in youtube.requests if r.method == "channels.list"]
    calls = {dict(k)["outcome"]: int(v) for k, v in metrics["collector_api_calls_total"].items()}
    assert calls == Counter(
        {200: "ok", 403: "quota_exceeded", 503: "transient"}[r.status] for r in requests
    )
    assert calls["quota_exceeded"] >= 1
    units = {dict(k)["key"]: int(v) for k, v in metrics["collector_quota_units_total"].items()}
    assert units == {fingerprint(key): spent for key, spent in youtube.units_by_key.items()}
    assert sum(units.values()) == run.units

    exhausted = metrics["collector_api_key_exhausted"]
    assert exhausted == {(("key", fingerprint(API_KEY)),): 0.0,
                         (("key", fingerprint(SECOND_API_KEY)),): 1.0}  # fmt: skip
    assert metrics["collector_api_keys_exhausted"][()] == 1
    left = metrics["collector_api_key_units_left"][(("key", fingerprint(API_KEY)),)]
    assert left == 10_000 - units[fingerprint(API_KEY)]  # the ledger of today, as keys shows
    assert metrics["collector_runs_created_total"][()] == 1
    assert metrics["collector_runs_completed_total"][()] == 1
    assert metrics["collector_runs_in_flight"][()] == 0
    assert metrics["collector_outbox_pending"][()] == 0
