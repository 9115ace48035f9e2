"""From pasted text to a channel and its data, by the cheapest route for its kind."""

from __future__ import annotations

from dataclasses import dataclass

from .channels import parse_channel
from .errors import InvalidIdentifier, NotFound
from .identifiers import Identifier, IdentifierKind, parse_identifier
from .models import ChannelData
from .store import utc_now
from .youtube import Spend, YouTubeClient, channel_items_by_id


@dataclass(frozen=True)
class Resolution:
    channel: ChannelData
    route: str
    units: int


class Resolver:
    def __init__(self, youtube: YouTubeClient) -> None:
        self.youtube = youtube

    def resolve(self, text: str, spend: Spend | None = None) -> Resolution:
        """Raises a CollectorError (InvalidIdentifier, NotFound, ...) when it cannot."""
        spend = spend if spend is not None else Spend()
        identifier = parse_identifier(text)
        channel, route = self._resolve(identifier, spend)
        return Resolution(channel=channel, route=route, units=spend.units)

    def _resolve(self, identifier: Identifier, spend: Spend) -> tuple[ChannelData, str]:
        value = identifier.value
        match identifier.kind:
            case IdentifierKind.CHANNEL_ID:
                items = channel_items_by_id(self.youtube.list_channels(spend, id=value))
                item = items.get(value)
                route = "channels.list:id"
            case IdentifierKind.HANDLE:
                item = _first(self.youtube.list_channels(spend, forHandle="@" + value))
                route = "channels.list:forHandle"
            case IdentifierKind.USERNAME:
                item = _first(self.youtube.list_channels(spend, forUsername=value))
                route = "channels.list:forUsername"
            case _:
                raise InvalidIdentifier(f"{identifier.kind} identifiers are not resolved yet")
        if item is None:
            raise NotFound(f"no YouTube channel matches {identifier.kind} {value!r}")
        return parse_channel(item, fetched_at=utc_now()), route


def _first(items: list[dict[str, object]]) -> dict[str, object] | None:
    return items[0] if items else None
