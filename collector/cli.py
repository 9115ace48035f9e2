"""The ``collector`` command: submit runs, watch them, resolve identifiers in-process."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

import redis

from .client import CollectorClient, IdempotencyConflict, NothingToRetry, RunNotFound
from .config import ConfigError, get_settings
from .errors import CollectorError, InvalidIdentifier
from .events import RUN_COMPLETED, RUN_CREATED, Event
from .identifiers import IdentifierKind, parse_identifier
from .models import Job, Run


class CommandError(Exception):
    """Ends the command with this one-line message on stderr and exit status 1."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.command(args))
    except CommandError as error:
        print(f"collector: {error}", file=sys.stderr)
        return 1
    except (RunNotFound, NothingToRetry, IdempotencyConflict) as error:
        print(f"collector: {error}", file=sys.stderr)
        return 1
    except ConfigError as error:
        print(f"collector: {error}", file=sys.stderr)
        return 1
    except redis.exceptions.ConnectionError:
        print(
            f"collector: cannot reach Redis at {_public_url(get_settings().redis_url)}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="collector",
        description="Resolve YouTube channel identifiers and collect channel data.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    submit = commands.add_parser("submit", help="create a run of identifiers")
    submit.add_argument("identifiers", nargs="*", metavar="IDENT")
    submit.add_argument("--file", help="a file with one identifier a line ('-' for stdin)")
    _add_wait_options(submit)
    submit.add_argument("--on-complete", metavar="TASK", help="Celery task sent when it completes")
    submit.add_argument("--on-complete-queue", metavar="QUEUE", help="queue for --on-complete")
    submit.add_argument("--idempotency-key", metavar="KEY", help="a retry returns the same run")
    submit.set_defaults(command=_submit)

    status = commands.add_parser("status", help="show a run and its jobs")
    status.add_argument("run_id", metavar="RUN_ID")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(command=_status)

    retry = commands.add_parser("retry", help="a new run of a run's retryable failures")
    retry.add_argument("run_id", metavar="RUN_ID")
    _add_wait_options(retry)
    retry.set_defaults(command=_retry)

    keys = commands.add_parser("keys", help="show each API key's state and today's quota")
    keys.add_argument("--json", action="store_true", help="print JSON")
    keys.set_defaults(command=_keys)

    history = commands.add_parser("history", help="show a channel's snapshots over time")
    history.add_argument("channel", metavar="CHANNEL", help="a channel id (UC...)")
    history.add_argument("--json", action="store_true", help="print JSON")
    history.set_defaults(command=_history)

    resolve = commands.add_parser("resolve", help="resolve identifiers now, without the queue")
    resolve.add_argument("identifiers", nargs="+", metavar="IDENT")
    resolve.add_argument("--json", action="store_true", help="print JSON")
    resolve.set_defaults(command=_resolve)

    watch = commands.add_parser("watch", help="print a run's events as they happen")
    watch.add_argument("run_id", metavar="RUN_ID")
    watch.add_argument("--from", dest="last_id", default="0-0", metavar="EVENT_ID",
                       help="print only events after this one ('$': only new ones)")  # fmt: skip
    watch.add_argument("--timeout", type=float, default=None, help="seconds to watch at most")
    watch.add_argument("--json", action="store_true", help="one JSON object a line")
    watch.set_defaults(command=_watch)

    api = commands.add_parser("api", help="serve the HTTP API")
    api.add_argument("--host", help="address to listen on (COLLECTOR_API_HOST)")
    api.add_argument("--port", type=int, help="TCP port (COLLECTOR_API_PORT)")
    api.set_defaults(command=_api)
    return parser


def _add_wait_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--wait", action="store_true", help="wait for the run to complete")
    command.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait (--wait)")
    command.add_argument("--json", action="store_true", help="print JSON")


def _submit(args: argparse.Namespace) -> int:
    identifiers = list(args.identifiers)
    if args.file:
        identifiers += _read_identifiers(args.file)
    if not identifiers:
        raise CommandError("nothing to submit: give identifiers or --file")
    client = CollectorClient()
    run_id = client.create_run(
        identifiers,
        on_complete=args.on_complete,
        on_complete_queue=args.on_complete_queue,
        idempotency_key=args.idempotency_key,
    )
    return _started(client, run_id, args)


def _retry(args: argparse.Namespace) -> int:
    client = CollectorClient()
    return _started(client, client.retry_run(args.run_id), args)


def _started(client: CollectorClient, run_id: str, args: argparse.Namespace) -> int:
    """Print the new run's id, or with --wait follow it and print it once complete."""
    if not args.wait:
        print(json.dumps({"run_id": run_id}) if args.json else run_id)
        return 0
    print(f"run {run_id}: {client.get_run(run_id).total} jobs", file=sys.stderr)
    run = _wait_with_progress(client, run_id, args.timeout, sys.stderr)
    _print_run(client, run, as_json=args.json)
    return 0


def _keys(args: argparse.Namespace) -> int:
    from .apikeys import KeyPool
    from .runtime import redis_client

    settings = get_settings()
    states = KeyPool.from_settings(settings, redis_client(settings, max_connections=2)).states()
    if args.json:
        print(json.dumps([state.to_dict() for state in states], indent=2))
        return 0
    rows = [("FINGERPRINT", "PROJECT", "STATE", "USED TODAY", "LEFT", "SEARCHES")]
    rows += [
        (
            state.fingerprint,
            state.project or "-",
            state.state,
            str(state.units_today),
            str(state.units_left),
            str(state.searches_today),
        )
        for state in states
    ]
    _print_table(rows)
    return 0


def _status(args: argparse.Namespace) -> int:
    client = CollectorClient()
    _print_run(client, client.get_run(args.run_id), as_json=args.json)
    return 0


def _history(args: argparse.Namespace) -> int:
    try:
        identifier = parse_identifier(args.channel)
    except InvalidIdentifier as error:
        raise CommandError(error.message) from None
    if identifier.kind is not IdentifierKind.CHANNEL_ID:
        raise CommandError(f"history needs a channel id (UC...), not a {identifier.kind}")
    snapshots = CollectorClient().get_channel_history(identifier.value)
    if args.json:
        document = {"channel_id": identifier.value, "snapshots": snapshots}
        print(json.dumps(document, ensure_ascii=False, indent=2))
        return 0
    if not snapshots:
        print(f"no snapshots of {identifier.value}", file=sys.stderr)
        return 0
    rows = [("FETCHED_AT", "SUBSCRIBERS", "VIEWS", "VIDEOS", "TITLE")]
    for snapshot in snapshots:
        rows.append(
            (
                snapshot["fetched_at"],
                _number(snapshot["subscriber_count"]),
                _number(snapshot["view_count"]),
                _number(snapshot["video_count"]),
                _clip(snapshot["title"], 40),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [
            row[0].ljust(widths[0]),
            *(c.rjust(w) for c, w in zip(row[1:4], widths[1:], strict=True)),
        ]
        print("  ".join([*cells, row[4]]))
    return 0


def _number(value: int | None) -> str:
    return "-" if value is None else str(value)


def _resolve(args: argparse.Namespace) -> int:
    from .metrics import record_api_calls
    from .runtime import get_runtime
    from .youtube import Spend

    runtime = get_runtime()
    results: list[dict[str, Any]] = []
    for text in args.identifiers:
        spend = Spend()
        try:
            resolution = runtime.resolver.resolve(text, spend)
        except CollectorError as error:
            results.append(
                {"input": text, "channel_id": None, "error": error.as_record(), "data": None}
            )
        else:
            channel = resolution.channel
            results.append(
                {
                    "input": text,
                    "channel_id": channel.channel_id,
                    "error": None,
                    "data": channel.to_dict(),
                    "route": resolution.route,
                    "units": resolution.units,
                }
            )
        finally:
            record_api_calls(runtime.redis, runtime.store.keys, spend)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        for result in results:
            detail = result["data"]["title"] if result["data"] else _error_text(result["error"])
            print(f"{result['input']}\t{result['channel_id'] or '-'}\t{detail}")
    return 0


def _watch(args: argparse.Namespace) -> int:
    client = CollectorClient()
    try:
        for event in client.events(args.run_id, args.last_id, timeout=args.timeout):
            if args.json:
                print(json.dumps(event.to_dict(), ensure_ascii=False), flush=True)
            else:
                print(_event_line(event), flush=True)
    except TimeoutError as error:
        raise CommandError(f"{error} (still running)") from None
    return 0


def _event_line(event: Event) -> str:
    detail = event.channel_id or event.error or ""
    if event.type in (RUN_CREATED, RUN_COMPLETED):
        detail = f"total {event.total}" + (
            f", done {event.done}, failed {event.failed}, {event.units} units"
            if event.type == RUN_COMPLETED
            else ""
        )
    elif event.attempt and event.attempt > 1:
        detail = f"attempt {event.attempt}"
    cells = (event.ts, event.id, event.type, event.job_id or "-", event.status or "-", detail)
    return "\t".join(cells)


def _api(args: argparse.Namespace) -> int:
    import uvicorn

    from . import logs
    from .api import create_app

    settings = get_settings()
    logs.configure_root(settings.youtube_api_keys, settings.log_format)
    uvicorn.run(
        create_app(settings),
        host=args.host or settings.api_host,
        port=settings.api_port if args.port is None else args.port,
        log_config=None,  # uvicorn's loggers go through the root logger configured above
    )
    return 0


def _read_identifiers(path: str) -> list[str]:
    try:
        if path == "-":
            lines = sys.stdin.read().splitlines()
        else:
            with open(path, encoding="utf-8") as file:
                lines = file.read().splitlines()
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror}") from None
    return [line.strip() for line in lines if line.strip()]


def _wait_with_progress(client: CollectorClient, run_id: str, timeout: float, out: TextIO) -> Run:
    """Follows the run's events, redrawing the progress line at most every 0.2 s."""
    interactive = out.isatty()
    shown = ""

    def show(run: Run) -> None:
        nonlocal shown
        line = _progress_line(run)
        if line != shown:
            out.write(("\r" + line) if interactive else line + "\n")
            out.flush()
            shown = line

    show(client.get_run(run_id))
    drawn = time.monotonic()
    try:
        for event in client.events(run_id, "$", timeout):
            if event.type == RUN_COMPLETED or time.monotonic() - drawn >= 0.2:
                show(client.get_run(run_id))
                drawn = time.monotonic()
        run = client.get_run(run_id)
        show(run)
        return run
    except TimeoutError:
        raise CommandError(
            f"run {run_id} not complete after {timeout:g} s (still running)"
        ) from None
    finally:
        if interactive:
            out.write("\n")


def _progress_line(run: Run, width: int = 30) -> str:
    done, failed = run.counts["DONE"], run.counts["FAILED"]
    filled = (done + failed) * width // max(run.total, 1)
    return (
        f"[{'#' * filled}{'.' * (width - filled)}] done {done}, failed {failed}, total {run.total}"
    )


def run_document(run: Run, jobs: list[Job]) -> dict[str, Any]:
    """The documented, stable JSON shape of a run; fields may be added, never renamed."""
    document = run.to_dict()
    document["jobs"] = [job.to_dict() for job in jobs]
    return document


def _print_run(client: CollectorClient, run: Run, *, as_json: bool) -> None:
    jobs = client.all_jobs(run.run_id)
    if as_json:
        print(json.dumps(run_document(run, jobs), ensure_ascii=False, indent=2))
        return
    counts = ", ".join(f"{status} {count}" for status, count in run.counts.items())
    print(f"run {run.run_id} {run.status}: {counts}, total {run.total}, {run.units} units")
    rows = [("INPUT", "STATUS", "CHANNEL_ID", "TITLE OR ERROR")]
    for job in jobs:
        detail = (job.data or {}).get("title", "") if job.error is None else _error_text(job.error)
        rows.append(
            (_clip(job.input, 40), str(job.status), job.channel_id or "-", _clip(detail, 60))
        )
    _print_table(rows)


def _print_table(rows: Sequence[tuple[str, ...]]) -> None:
    """Columns padded to their widest cell; the last column is not padded."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]))


def _error_text(error: dict[str, Any] | None) -> str:
    return f"{error['code']}: {error['message']}" if error else ""


def _clip(text: str, limit: int) -> str:
    text = text.replace("\n", " ").replace("\t", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _public_url(url: str) -> str:
    """The URL without a password, for messages."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    return f"{scheme}{sep}{rest}"


if __name__ == "__main__":
    sys.exit(main())
