"""The key pool and its quota ledger: real Redis, the fake API, pools as separate workers."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest
import redis

from collector.apikeys import PACIFIC, KeyPool, Quota, fingerprint, seconds_until_quota_reset
from collector.errors import NoUsableKeys, QuotaExhausted
from collector.keys import Keys
from collector.youtube import Spend, YouTubeClient
from tests.conftest import ALL_API_KEYS, API_KEY, SECOND_API_KEY, THIRD_API_KEY, MakeClient
from tests.fake_youtube import FakeYouTube

CHANNEL = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
SEARCH = {"part": "snippet", "q": "test", "type": "channel"}


def pool(redis_client: redis.Redis, *keys: str, **kwargs: object) -> KeyPool:
    return KeyPool(keys or ALL_API_KEYS, redis_client, Keys("t:"), **kwargs)  # type: ignore[arg-type]


def fake_units_by_fingerprint(youtube: FakeYouTube) -> dict[str, int]:
    return {fingerprint(key): units for key, units in youtube.units_by_key.items() if units}


def ledger_totals(key_pool: KeyPool) -> dict[str, int]:
    return {fp: sum(units.values()) for fp, units in key_pool.units_by_key().items() if units}


def test_the_key_with_most_quota_left_is_picked_and_load_spreads(
    redis_client: redis.Redis,
) -> None:
    key_pool = pool(redis_client)

    picked = [key_pool.acquire("channels.list").key.fingerprint for _ in range(9)]

    assert sorted(picked) == sorted([fingerprint(k) for k in ALL_API_KEYS] * 3)
    assert ledger_totals(key_pool) == {fingerprint(k): 3 for k in ALL_API_KEYS}


def test_keys_of_one_project_share_its_budget(redis_client: redis.Redis) -> None:
    # Two keys of project A, one key on its own: the lone key has twice the budget left.
    projects = {API_KEY: "projA", SECOND_API_KEY: "projA"}
    key_pool = pool(redis_client, projects=projects, quota=Quota(daily_units=4))

    picked = [key_pool.acquire("channels.list").key.fingerprint for _ in range(8)]
    with pytest.raises(QuotaExhausted):
        key_pool.acquire("channels.list")

    assert picked.count(fingerprint(THIRD_API_KEY)) == 4
    assert picked.count(fingerprint(API_KEY)) == picked.count(fingerprint(SECOND_API_KEY)) == 2
    states = {state.fingerprint: state for state in key_pool.states()}
    assert states[fingerprint(API_KEY)].project == "projA"
    assert states[fingerprint(API_KEY)].project_units_today == 4
    assert states[fingerprint(API_KEY)].units_today == 2
    assert [state.state for state in states.values()] == ["exhausted"] * 3


def test_a_known_budget_fails_fast_without_calling_the_api(
    youtube: FakeYouTube, make_client: MakeClient
) -> None:
    youtube.add_channel(CHANNEL)
    client = make_client(quota=Quota(daily_units=2))
    for _ in range(2):
        client.list_channels(Spend(), id=CHANNEL)

    with pytest.raises(QuotaExhausted) as caught:
        client.list_channels(Spend(), id=CHANNEL)

    assert youtube.calls() == 2
    assert "resets at midnight Pacific time" in caught.value.message


def test_quota_exceeded_on_one_key_stops_its_whole_project_for_every_worker(
    youtube: FakeYouTube, make_client: MakeClient
) -> None:
    youtube.add_channel(CHANNEL)
    youtube.add_key(API_KEY, project="projA", budget=1)
    youtube.add_key(SECOND_API_KEY, project="projA")
    youtube.add_key(THIRD_API_KEY)
    projects = {API_KEY: "projA", SECOND_API_KEY: "projA"}
    first_worker = make_client(*ALL_API_KEYS, projects=projects)
    second_worker = make_client(*ALL_API_KEYS, projects=projects)

    for client in [first_worker, second_worker] * 3:
        client.list_channels(Spend(), id=CHANNEL)

    refused = [r.key for r in youtube.requests if r.status == 403]
    assert len(refused) == 1 and refused[0] in (API_KEY, SECOND_API_KEY)
    served = [r.key for r in youtube.requests if r.status == 200]
    assert served.count(THIRD_API_KEY) == 5  # project A served once, then never asked again
    assert ledger_totals(first_worker.key_pool) == fake_units_by_fingerprint(youtube)


def test_a_spent_search_bucket_stops_search_only(
    youtube: FakeYouTube, make_client: MakeClient
) -> None:
    youtube.add_channel(CHANNEL, title="test channel")
    youtube.add_key(API_KEY, search_budget=1)
    client = make_client()
    client.call("search.list", SEARCH, Spend())

    with pytest.raises(QuotaExhausted):
        client.call("search.list", SEARCH, Spend())  # the fake says quotaExceeded
    with pytest.raises(QuotaExhausted):
        client.call("search.list", SEARCH, Spend())  # known now: not asked again
    spend = Spend()
    assert client.list_channels(spend, id=CHANNEL)

    assert [r.status for r in youtube.requests] == [200, 403, 200]
    assert spend.units == 1
    (state,) = client.key_pool.states()
    assert (state.state, state.searches_today, state.units_today) == ("search exhausted", 1, 101)
    assert state.units_by_method == {"search.list": 100, "channels.list": 1}


def test_search_calls_are_counted_against_their_own_daily_bucket(
    youtube: FakeYouTube, make_client: MakeClient
) -> None:
    youtube.add_channel(CHANNEL, title="test channel")
    client = make_client(quota=Quota(search_daily_calls=2, search_cost=100))
    for _ in range(2):
        client.call("search.list", SEARCH, Spend())

    with pytest.raises(QuotaExhausted) as caught:
        client.call("search.list", SEARCH, Spend())

    assert "search.list" in caught.value.message
    assert youtube.calls("search.list") == 2
    assert client.list_channels(Spend(), id=CHANNEL)


def test_an_invalid_key_is_skipped_by_every_pool_after_its_first_answer(
    youtube: FakeYouTube, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    youtube.add_channel(CHANNEL)
    youtube.add_key(API_KEY, state="invalid")
    youtube.add_key(SECOND_API_KEY)
    workers = [make_client(API_KEY, SECOND_API_KEY) for _ in range(3)]

    with caplog.at_level(logging.INFO):
        for client in workers * 3:
            assert client.list_channels(Spend(), id=CHANNEL)

    assert [r.key for r in youtube.requests].count(API_KEY) == 1
    unusable = [r.getMessage() for r in caplog.records if "unusable" in r.getMessage()]
    assert unusable == [f"key {fingerprint(API_KEY)} is unusable (API_KEY_INVALID); it is "
                        "skipped by every worker"]  # fmt: skip
    assert API_KEY not in caplog.text


def test_no_usable_keys_only_when_every_key_is_disabled(redis_client: redis.Redis) -> None:
    key_pool = pool(redis_client, API_KEY, SECOND_API_KEY, quota=Quota(daily_units=1))
    key_pool.mark_unusable(key_pool.keys[0], "keyInvalid")
    key_pool.acquire("channels.list")

    with pytest.raises(QuotaExhausted):  # one key left, spent: it comes back after the reset
        key_pool.acquire("channels.list")
    key_pool.mark_unusable(key_pool.keys[1], "keyExpired")
    with pytest.raises(NoUsableKeys):
        key_pool.acquire("channels.list")


def test_a_refund_gives_back_units_and_the_search_call(redis_client: redis.Redis) -> None:
    key_pool = pool(redis_client, API_KEY)
    lease = key_pool.acquire("search.list")
    assert key_pool.states()[0].searches_today == 1

    key_pool.refund(lease)

    (state,) = key_pool.states()
    assert (state.units_today, state.project_units_today, state.searches_today) == (0, 0, 0)
    assert state.units_left == 10_000


def test_the_ledger_counts_equal_the_fake_servers_exactly(
    youtube: FakeYouTube, make_client: MakeClient
) -> None:
    youtube.add_channel(CHANNEL, title="test channel", uploads=False)
    youtube.add_key(API_KEY, budget=6, project="projA")
    youtube.add_key(SECOND_API_KEY, state="invalid")
    youtube.add_key(THIRD_API_KEY, budget=300)
    projects = {API_KEY: "projA"}
    client = make_client(*ALL_API_KEYS, projects=projects)
    spends = []

    def attempt(method: str, params: dict[str, str]) -> None:
        spends.append(Spend())
        try:
            client.call(method, params, spends[-1])
        except Exception as error:
            assert API_KEY not in str(error)

    for fault in ["503", "truncated", "malformed", "429", "reset", "rateLimitExceeded"]:
        youtube.fail_next(1, fault)
        attempt("channels.list", {"part": "snippet", "id": CHANNEL})
    attempt("channels.list", {"part": "snippet"})  # 400: no filter, charged
    attempt("playlistItems.list", {"part": "id", "playlistId": "UU" + CHANNEL[2:]})  # 404
    attempt("videos.list", {"part": "snippet", "id": "nosuchvideo"})
    for _ in range(4):
        attempt("search.list", SEARCH)  # 100 units each: the third key can afford two
    for _ in range(8):
        attempt("channels.list", {"part": "snippet", "forHandle": "@nobody"})

    assert ledger_totals(client.key_pool) == fake_units_by_fingerprint(youtube)
    by_method: dict[str, int] = {}
    for units in client.key_pool.units_by_key().values():
        for method, count in units.items():
            by_method[method] = by_method.get(method, 0) + count
    for method in ["channels.list", "videos.list", "playlistItems.list", "search.list"]:
        assert by_method.get(method, 0) == youtube.units(method), method
    assert sum(spend.units for spend in spends) == youtube.units()
    assert youtube.units("search.list") == 200


def test_the_quota_day_ends_at_pacific_midnight() -> None:
    evening = datetime(2026, 3, 7, 23, 59, 0, tzinfo=PACIFIC)
    assert seconds_until_quota_reset(evening) == 61
    # The days the clocks change are 23 and 25 hours long.
    spring = datetime(2026, 3, 8, 0, 0, 0, tzinfo=PACIFIC)
    autumn = datetime(2026, 11, 1, 0, 0, 0, tzinfo=PACIFIC)
    assert seconds_until_quota_reset(spring) == 23 * 3600 + 1
    assert seconds_until_quota_reset(autumn) == 25 * 3600 + 1


def test_a_pool_never_shows_a_key_value(redis_client: redis.Redis) -> None:
    key_pool = pool(redis_client, API_KEY, projects={API_KEY: "projA"})
    lease = key_pool.acquire("channels.list")
    text = repr(key_pool.keys) + repr(lease) + str(lease.key) + repr(key_pool.states())
    assert API_KEY not in text
    assert all(API_KEY not in key for key in redis_client.keys("*"))


def test_the_client_uses_the_pools_costs(youtube: FakeYouTube, make_client: MakeClient) -> None:
    youtube.add_channel(CHANNEL, title="test channel")
    client: YouTubeClient = make_client(quota=Quota(search_cost=100))
    spend = Spend()
    client.call("search.list", SEARCH, spend)
    assert spend.units == 100 == youtube.units()
