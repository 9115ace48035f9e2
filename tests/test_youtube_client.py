"""The YouTube client against the fake API: keys, error bodies, malformed replies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from collector.apikeys import KeyPool
from collector.errors import (
    ApiRequestRejected,
    NoUsableKeys,
    QuotaExhausted,
    UpstreamError,
)
from collector.httpclient import HttpClient
from collector.keys import Keys
from collector.youtube import Spend, YouTubeClient, error_reason
from tests.conftest import API_KEY, SECOND_API_KEY
from tests.fake_youtube import FakeYouTube

CHANNEL = "UC_x5XG1OV2P6uZZ5FSM9Ttw"


@pytest.fixture
def http() -> Iterator[HttpClient]:
    client = HttpClient(connect_timeout=2.0, read_timeout=2.0)
    yield client
    client.close()


def client_for(
    youtube: FakeYouTube, redis_client: redis.Redis, http: HttpClient, *keys: str
) -> YouTubeClient:
    pool = KeyPool(keys or (API_KEY,), redis_client, Keys("t:"))
    return YouTubeClient(youtube.base_url, pool, http)


def test_lists_a_channel_by_id_sending_the_key_in_a_header(youtube, redis_client, http) -> None:
    youtube.add_channel(CHANNEL, title="Google Developers", handle="GoogleDevelopers")
    spend = Spend()

    items = client_for(youtube, redis_client, http).list_channels(spend, id=CHANNEL)

    assert [item["id"] for item in items] == [CHANNEL]
    assert spend.units == 1
    request = youtube.requests[-1]
    assert request.key == API_KEY
    assert "key" not in request.params  # never in the URL


def test_no_match_is_an_empty_list(youtube, redis_client, http) -> None:
    assert client_for(youtube, redis_client, http).list_channels(Spend(), forHandle="@nobody") == []


def test_a_spent_key_is_skipped_for_the_next_one(youtube, redis_client, http) -> None:
    youtube.add_key(API_KEY, budget=0)
    youtube.add_key(SECOND_API_KEY)
    youtube.add_channel(CHANNEL)
    client = client_for(youtube, redis_client, http, API_KEY, SECOND_API_KEY)

    for _ in range(3):
        assert client.list_channels(Spend(), id=CHANNEL)

    assert [r.key for r in youtube.requests if r.status == 200] == [SECOND_API_KEY] * 3
    assert [r.key for r in youtube.requests if r.status == 403] == [API_KEY]  # asked once only


def test_every_key_spent_is_quota_exhausted_without_another_call(
    youtube, redis_client, http
) -> None:
    youtube.add_key(API_KEY, budget=0)
    client = client_for(youtube, redis_client, http)
    with pytest.raises(QuotaExhausted):
        client.list_channels(Spend(), id=CHANNEL)
    calls = youtube.calls()

    with pytest.raises(QuotaExhausted):
        client.list_channels(Spend(), id=CHANNEL)
    assert youtube.calls() == calls


@pytest.mark.parametrize("state", ["invalid", "invalid_legacy", "disabled", "disabled_legacy"])
def test_unusable_keys_end_in_no_usable_keys(youtube, redis_client, http, state: str) -> None:
    youtube.add_key(API_KEY, state=state)
    with pytest.raises(NoUsableKeys) as caught:
        client_for(youtube, redis_client, http).list_channels(Spend(), id=CHANNEL)
    assert API_KEY not in str(caught.value)


@pytest.mark.parametrize(
    "fault", ["500", "503", "429", "rateLimitExceeded", "malformed", "truncated", "reset"]
)
def test_transient_failures_are_upstream_errors(youtube, redis_client, http, fault: str) -> None:
    youtube.fail_next(1, fault)
    with pytest.raises(UpstreamError) as caught:
        client_for(youtube, redis_client, http).list_channels(Spend(), id=CHANNEL)
    assert API_KEY not in str(caught.value)


def test_a_forbidden_request_is_rejected(youtube, redis_client, http) -> None:
    youtube.fail_next(1, "forbidden")
    spend = Spend()
    with pytest.raises(ApiRequestRejected):
        client_for(youtube, redis_client, http).list_channels(spend, id=CHANNEL)


def test_the_reason_comes_from_details_before_errors(youtube) -> None:
    body = {
        "error": {
            "errors": [{"reason": "badRequest"}],
            "details": [
                {"@type": "type.googleapis.com/google.rpc.Help"},
                {"reason": "API_KEY_INVALID"},
            ],
        }
    }
    assert error_reason(body) == "API_KEY_INVALID"
    assert error_reason({"error": {"errors": [{"reason": "quotaExceeded"}]}}) == "quotaExceeded"
    assert error_reason("not json") is None
