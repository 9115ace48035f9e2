"""Real Celery workers as subprocesses, started exactly as the README says."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from collector.client import CollectorClient
from collector.config import Settings
from collector.models import Job, Run


class WorkerProcess:
    """``celery -A collector.celery_app worker -Q collector`` with its log in a file."""

    def __init__(
        self,
        workdir: Path,
        *,
        env: dict[str, str],
        concurrency: int = 4,
        pool: str = "prefork",
        extra_args: tuple[str, ...] = (),
        wait_ready: bool = True,
    ) -> None:
        self.name = f"test-{uuid.uuid4().hex[:8]}"
        self.log_path = workdir / f"{self.name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        command = [
            sys.executable, "-m", "celery", "-A", "collector.celery_app", "worker",
            "-Q", "collector", "-c", str(concurrency), "--pool", pool, "--loglevel=INFO",
            "-n", f"{self.name}@%h", "--without-gossip", "--without-mingle", *extra_args,
        ]  # fmt: skip
        # The worker's working directory is the test's, so no developer .env is read.
        self.process = subprocess.Popen(
            command,
            cwd=workdir,
            env={**os.environ, **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if wait_ready:
            self.wait_for_log("ready.", timeout=30)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited ({self.process.returncode}):\n{self.log()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"worker log never said {text!r}:\n{self.log()}")
            time.sleep(0.05)

    def stop(self, timeout: float = 20) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL of the whole group if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()

    def pool_children(self) -> list[int]:
        """Pids of the worker's pool processes (prefork), from /proc."""
        return child_pids(self.process.pid)

    def kill(self) -> None:
        """SIGKILL the main process and every child, at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)


def child_pids(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ")".
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == parent:
            children.append(int(entry.name))
    return sorted(children)


def wait_until(condition: Callable[[], object], timeout: float, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met within {timeout} s")
        time.sleep(0.05)


def complete_run(
    settings: Settings, inputs: list[str], timeout: float = 60
) -> tuple[Run, list[Job]]:
    """Create a run, wait for the workers to complete it; the run and its jobs."""
    client = CollectorClient(settings)
    run = client.wait(client.create_run(inputs), timeout=timeout)
    return run, client.all_jobs(run.run_id)
