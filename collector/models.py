"""The records this service stores and returns: runs, jobs, and a channel's data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    DONE = "DONE"
    FAILED = "FAILED"

    @property
    def is_terminal(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED)


class RunStatus(StrEnum):
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"


@dataclass(frozen=True)
class RecentVideo:
    """One recent upload with its statistics; counts are None where hidden or disabled."""

    video_id: str
    title: str
    published_at: str | None
    duration_seconds: int | None  # None when the API gives no parsable duration
    view_count: int | None
    like_count: int | None
    comment_count: int | None
    live_broadcast_content: str | None  # "none", "upcoming" or "live"
    made_for_kids: bool | None
    tags: list[str]
    category_id: str | None
    default_language: str | None

    def to_dict(self) -> dict[str, Any]:
        record = {name: getattr(self, name) for name in _VIDEO_FIELDS}
        record["tags"] = list(self.tags)
        return record


@dataclass(frozen=True)
class ChannelData:
    """What we collect about a channel; counts are integers, not the API's strings."""

    channel_id: str
    title: str
    description: str
    handle: str | None  # snippet.customUrl: "@name" today, a legacy name on old channels
    published_at: str | None
    country: str | None
    default_language: str | None
    thumbnail_url: str | None
    subscriber_count: int | None  # None when the channel hides it
    hidden_subscriber_count: bool
    view_count: int | None
    video_count: int | None
    uploads_playlist_id: str | None
    keywords: str | None
    topic_categories: list[str] = field(default_factory=list)
    fetched_at: str = ""
    recent_videos: list[RecentVideo] | None = None  # None when RECENT_VIDEOS=0
    notes: list[str] = field(default_factory=list)  # what could not be collected, and why

    def to_dict(self) -> dict[str, Any]:
        # By hand: ``asdict`` deep-copies every value, a tenth of a millisecond of a job's CPU.
        record = {name: getattr(self, name) for name in _CHANNEL_FIELDS}
        record["topic_categories"] = list(self.topic_categories)
        record["notes"] = list(self.notes)
        if self.recent_videos is not None:
            record["recent_videos"] = [video.to_dict() for video in self.recent_videos]
        return record

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> ChannelData:
        videos = record.get("recent_videos")
        return cls(
            **{
                **record,
                "recent_videos": None if videos is None else [RecentVideo(**v) for v in videos],
            }
        )


_VIDEO_FIELDS = tuple(f.name for f in fields(RecentVideo))
_CHANNEL_FIELDS = tuple(f.name for f in fields(ChannelData))


@dataclass(frozen=True)
class Job:
    job_id: str
    run_id: str
    input: str
    status: JobStatus
    channel_id: str | None
    data: dict[str, Any] | None
    error: dict[str, Any] | None
    attempts: int
    started_at: str | None
    finished_at: str | None
    route: str | None = None
    units: int = 0
    parked_until: str | None = None  # set when the job last waited for the quota reset

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["status"] = str(self.status)
        return record


@dataclass(frozen=True)
class Run:
    run_id: str
    status: RunStatus
    total: int
    counts: dict[str, int]
    created_at: str
    completed_at: str | None
    units: int = 0
    retry_of: str | None = None  # the run whose retryable failures this run retries
    on_complete: str | None = None
    on_complete_queue: str | None = None

    @property
    def is_complete(self) -> bool:
        return self.status is RunStatus.COMPLETED

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": str(self.status),
            "total": self.total,
            "counts": dict(self.counts),
            "created_at": self.created_at,
            "completed_at": self.completed_at,
            "units": self.units,
            "retry_of": self.retry_of,
            "on_complete": self.on_complete,
            "on_complete_queue": self.on_complete_queue,
        }
