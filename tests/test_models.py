"""A channel's record, as stored and returned: every field, JSON-ready, read back the same."""

from __future__ import annotations

import dataclasses
import json

from collector.channels import parse_channel
from collector.models import ChannelData
from collector.videos import parse_video
from tests.fake_youtube.samples import sample


def recorded_channel() -> ChannelData:
    item = sample("channels.list_googledevelopers_snippet_contentDetails_statistics.json")
    video = sample("videos.list_id_snippet_contentDetails_status_statistics.json")["items"][0]
    channel = parse_channel(item["items"][0], fetched_at="2026-12-04T06:00:00Z")
    return dataclasses.replace(channel, recent_videos=[parse_video(video)], notes=["a note"])


def test_a_channel_record_has_every_field_as_asdict_gives_it() -> None:
    channel = recorded_channel()
    assert channel.to_dict() == dataclasses.asdict(channel)


def test_a_channel_record_reads_back_as_the_same_channel() -> None:
    channel = recorded_channel()
    assert ChannelData.from_dict(json.loads(json.dumps(channel.to_dict()))) == channel


def test_a_record_shares_no_list_with_its_channel() -> None:
    channel = recorded_channel()
    record = channel.to_dict()
    record["notes"].append("changed")
    record["recent_videos"][0]["tags"].append("changed")
    assert channel.notes == ["a note"] and "changed" not in channel.recent_videos[0].tags
