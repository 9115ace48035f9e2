"""No Docker engine runs here: the deployment files are checked by parsing them."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from collector.config import Settings

ROOT = Path(__file__).resolve().parent.parent
WORKER_COMMAND = "celery -A collector.celery_app worker -Q collector -c 4 --loglevel=INFO"


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())  # type: ignore[no-any-return]


def test_compose_runs_redis_with_persistence_a_healthcheck_and_no_eviction() -> None:
    redis = compose()["services"]["redis"]
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command
    assert "--maxmemory-policy noeviction" in command
    assert "redis-cli" in " ".join(redis["healthcheck"]["test"])


def test_compose_worker_can_be_scaled_and_stops_gracefully() -> None:
    worker = compose()["services"]["collector_worker"]
    assert " ".join(worker["command"]) == WORKER_COMMAND
    assert worker["env_file"] == ".env"
    assert worker["depends_on"]["redis"]["condition"] == "service_healthy"
    assert worker["restart"] == "on-failure"
    assert "container_name" not in worker  # --scale collector_worker=3 needs that
    assert worker["stop_signal"] == "SIGTERM"
    grace = int(worker["stop_grace_period"].removesuffix("s"))
    assert grace > Settings().task_time_limit


def test_compose_serves_the_api_with_a_health_check() -> None:
    api = compose()["services"]["collector_api"]
    command = api["command"]
    assert command[:2] == ["collector", "api"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    port = command[command.index("--port") + 1]
    assert api["ports"] == [f"{port}:{port}"]
    assert f"127.0.0.1:{port}/healthz" in " ".join(api["healthcheck"]["test"])
    assert api["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "profiles" not in api


def test_compose_runs_flower_only_with_the_monitoring_profile() -> None:
    services = compose()["services"]
    flower = services["flower"]
    assert flower["profiles"] == ["monitoring"]
    assert "flower" in flower["command"]
    assert "--broker=redis://redis:6379/0" in flower["command"]
    # Flower sees the workers only through their task events.
    assert services["collector_worker"]["environment"]["REDIS_URL"] == "redis://redis:6379/0"


def test_dockerfile_is_slim_non_root_and_runs_the_worker() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.1[1-9]-slim", text, re.M)
    assert re.search(r"^USER (?!root)\w+", text, re.M)
    cmd = re.search(r"^CMD (\[.*\])", text, re.M)
    assert cmd is not None
    assert " ".join(yaml.safe_load(cmd.group(1))) == WORKER_COMMAND


def test_readme_gives_the_worker_command_as_run_in_docker() -> None:
    readme = (ROOT / "README.md").read_text()
    assert WORKER_COMMAND in readme
    assert shlex.split(WORKER_COMMAND)[0] == "celery"


def test_env_example_lists_every_setting() -> None:
    example = (ROOT / ".env.example").read_text()
    config = (ROOT / "collector" / "config.py").read_text()
    names = set(re.findall(r'reader\.\w+\(\s*"([A-Z_]+)"', config))
    assert names
    missing = {name for name in names if name not in example}
    assert not missing
