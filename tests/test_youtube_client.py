"""The YouTube client against the fake API: keys, retries, error bodies and their codes."""

from __future__ import annotations

from itertools import pairwise

import pytest

from collector.errors import (
    ApiForbidden,
    ApiRequestRejected,
    NoUsableKeys,
    QuotaExhausted,
    ResourceNotFound,
    UpstreamError,
)
from collector.youtube import RetryPolicy, Spend, error_reason
from tests.conftest import API_KEY, FAST_RETRY, SECOND_API_KEY, MakeClient
from tests.fake_youtube import FakeYouTube

CHANNEL = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
TRANSIENT_FAULTS = [
    "500",
    "503",
    "429",
    "rateLimitExceeded",
    "userRateLimitExceeded",
    "malformed",
    "truncated",
    "reset",
]


def test_lists_a_channel_by_id_sending_the_key_in_a_header(
    youtube: FakeYouTube, make_client: MakeClient
) -> None:
    youtube.add_channel(CHANNEL, title="Google Developers", handle="GoogleDevelopers")
    spend = Spend()

    items = make_client().list_channels(spend, id=CHANNEL)

    assert [item["id"] for item in items] == [CHANNEL]
    assert (spend.units, spend.calls) == (1, 1)
    request = youtube.requests[-1]
    assert request.key == API_KEY
    assert "key" not in request.params  # never in the URL


def test_no_match_is_an_empty_list(youtube: FakeYouTube, make_client: MakeClient) -> None:
    assert make_client().list_channels(Spend(), forHandle="@nobody") == []


def test_a_spent_key_is_skipped_for_the_next_one(
    youtube: FakeYouTube, make_client: MakeClient
) -> None:
    youtube.add_key(API_KEY, budget=0)
    youtube.add_key(SECOND_API_KEY)
    youtube.add_channel(CHANNEL)
    client = make_client(API_KEY, SECOND_API_KEY)

    for _ in range(3):
        assert client.list_channels(Spend(), id=CHANNEL)

    assert [r.key for r in youtube.requests if r.status == 200] == [SECOND_API_KEY] * 3
    assert [r.key for r in youtube.requests if r.status == 403] == [API_KEY]  # asked once only


def test_every_key_spent_is_quota_exhausted_without_another_call(
    youtube: FakeYouTube, make_client: MakeClient
) -> None:
    youtube.add_key(API_KEY, budget=0)
    client = make_client()
    with pytest.raises(QuotaExhausted):
        client.list_channels(Spend(), id=CHANNEL)
    calls = youtube.calls()

    with pytest.raises(QuotaExhausted) as caught:
        client.list_channels(Spend(), id=CHANNEL)
    assert youtube.calls() == calls
    assert caught.value.retryable and caught.value.code == "quota_exhausted"


@pytest.mark.parametrize("state", ["invalid", "invalid_legacy", "disabled", "disabled_legacy"])
def test_unusable_keys_end_in_no_usable_keys(
    youtube: FakeYouTube, make_client: MakeClient, state: str
) -> None:
    youtube.add_key(API_KEY, state=state)
    with pytest.raises(NoUsableKeys) as caught:
        make_client().list_channels(Spend(), id=CHANNEL)
    assert not caught.value.retryable
    assert API_KEY not in str(caught.value)


@pytest.mark.parametrize("fault", TRANSIENT_FAULTS)
def test_a_transient_failure_is_tried_again_and_not_charged(
    youtube: FakeYouTube, make_client: MakeClient, fault: str
) -> None:
    youtube.add_channel(CHANNEL)
    youtube.fail_next(FAST_RETRY.attempts - 1, fault)
    spend = Spend()

    assert make_client().list_channels(spend, id=CHANNEL)

    assert youtube.calls("channels.list") == FAST_RETRY.attempts
    assert (spend.units, spend.calls) == (1, 1) == (youtube.units(), 1)


@pytest.mark.parametrize("fault", TRANSIENT_FAULTS)
def test_a_lasting_transient_failure_is_an_upstream_error(
    youtube: FakeYouTube, make_client: MakeClient, fault: str
) -> None:
    youtube.fail_next(FAST_RETRY.attempts, fault)
    spend = Spend()
    with pytest.raises(UpstreamError) as caught:
        make_client().list_channels(spend, id=CHANNEL)
    assert caught.value.retryable and caught.value.code == "upstream_error"
    assert f"after {FAST_RETRY.attempts} attempts" in caught.value.message
    assert API_KEY not in str(caught.value)
    assert youtube.calls("channels.list") == FAST_RETRY.attempts
    assert spend.units == 0


def test_a_timeout_is_tried_again(youtube: FakeYouTube, make_client: MakeClient) -> None:
    youtube.add_channel(CHANNEL)
    youtube.fail_next(1, "timeout")  # no answer: the client's 2 s read timeout ends the wait
    spend = Spend()

    assert make_client().list_channels(spend, id=CHANNEL)

    assert [r.status for r in youtube.requests] == [0, 200]
    assert spend.units == youtube.units() == 1


def test_retries_back_off_exponentially(youtube: FakeYouTube, make_client: MakeClient) -> None:
    youtube.add_channel(CHANNEL)
    youtube.fail_next(3, "503")
    policy = RetryPolicy(attempts=4, base_delay=0.1, max_delay=1.0)

    make_client(retry=policy).list_channels(Spend(), id=CHANNEL)

    times = [r.time for r in youtube.requests]
    gaps = [later - earlier for earlier, later in pairwise(times)]
    # At least half of each doubling delay: 0.05, 0.1, 0.2 s.
    assert [gap >= 0.1 * 2**n / 2 for n, gap in enumerate(gaps)] == [True] * 3


def test_the_delay_stays_within_its_bounds() -> None:
    policy = RetryPolicy(attempts=10, base_delay=0.5, max_delay=4.0)
    for failures, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)]:
        delays = [policy.delay(failures) for _ in range(200)]
        assert ceiling / 2 <= min(delays) and max(delays) <= ceiling
    assert policy.delay(1, retry_after=3.0) == 3.0
    assert policy.delay(1, retry_after=60.0) == 4.0


@pytest.mark.parametrize(
    ("fault", "error", "code"),
    [
        ("forbidden", ApiForbidden, "api_forbidden"),
        ("permissionDenied", ApiForbidden, "api_forbidden"),
    ],
)
def test_a_forbidden_resource_fails_at_once(
    youtube: FakeYouTube, make_client: MakeClient, fault: str, error: type, code: str
) -> None:
    youtube.fail_next(1, fault)
    with pytest.raises(error) as caught:
        make_client().list_channels(Spend(), id=CHANNEL)
    assert (caught.value.code, caught.value.retryable, caught.value.status) == (code, False, 403)
    assert youtube.calls() == 1


def test_a_bad_request_is_rejected_and_charged(
    youtube: FakeYouTube, make_client: MakeClient
) -> None:
    spend = Spend()
    with pytest.raises(ApiRequestRejected) as caught:
        make_client().call(
            "channels.list", {"part": "snippet", "maxResults": "99", "id": CHANNEL}, spend
        )
    assert type(caught.value) is ApiRequestRejected
    assert (caught.value.code, caught.value.reason) == ("api_rejected", "invalidParameter")
    assert spend.units == youtube.units() == 1


def test_a_missing_playlist_is_a_distinct_not_found_error(
    youtube: FakeYouTube, make_client: MakeClient
) -> None:
    youtube.add_channel(CHANNEL, uploads=False)
    spend = Spend()
    params = {"part": "contentDetails", "playlistId": "UU" + CHANNEL[2:]}

    with pytest.raises(ResourceNotFound) as caught:
        make_client().call("playlistItems.list", params, spend)

    assert (caught.value.code, caught.value.reason) == ("resource_not_found", "playlistNotFound")
    assert isinstance(caught.value, ApiRequestRejected) and not caught.value.retryable
    assert spend.units == youtube.units("playlistItems.list") == 1


def test_the_reason_comes_from_details_before_errors() -> None:
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
