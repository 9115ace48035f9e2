"""Every route of the resolver, its exact cost in units, and the resolution cache.

In-process, against the real Redis and the fake YouTube server, with RECENT_VIDEOS=0 so that
a route's cost is the resolution's alone (recent uploads are tested in test_uploads.py). The
same routes run through a real worker in test_identifier_runs.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import pytest

from collector.cache import NOT_FOUND
from collector.config import Settings
from collector.errors import NotFound, QuotaExhausted
from collector.keys import Keys
from collector.resolver import Resolution
from collector.runtime import Runtime, build_runtime
from collector.youtube import Spend
from tests.conftest import API_KEY
from tests.fake_youtube import FakeYouTube

CHANNEL = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
OTHER = "UCVHFbqXqoYvEWM1Ddxl0QDg"
VIDEO = "dQw4w9WgXcQ"


@pytest.fixture
def make_runtime(settings: Settings) -> Iterator[Callable[..., Runtime]]:
    """Runtimes over the test settings, RECENT_VIDEOS=0 unless overridden; closed after."""
    built: list[Runtime] = []

    def make(**changes: object) -> Runtime:
        runtime = build_runtime(dataclasses.replace(settings, **{"recent_videos": 0, **changes}))
        built.append(runtime)
        return runtime

    yield make
    for runtime in built:
        runtime.close()


@pytest.fixture
def resolve(make_runtime: Callable[..., Runtime]) -> Callable[[str], Resolution]:
    return make_runtime().resolver.resolve


def api_calls(youtube: FakeYouTube) -> list[str]:
    return [r.method for r in youtube.requests if r.method != "page"]


ROUTES = [
    # (id, channel kwargs, input, route, units, page requests)
    ("channel-id", {}, CHANNEL, "channels.list:id", 1, 0),
    ("channel-url", {}, f"youtube.com/channel/{CHANNEL}/videos", "channels.list:id", 1, 0),
    ("handle", {"handle": "GoogleDevelopers"}, "@googledevelopers",
     "channels.list:forHandle", 1, 0),
    ("handle-url", {"handle": "GoogleDevelopers"}, "https://m.youtube.com/@GoogleDevelopers",
     "channels.list:forHandle", 1, 0),
    ("username", {"username": "GoogleDevelopers"}, "youtube.com/user/GoogleDevelopers",
     "channels.list:forUsername", 1, 0),
    ("username-miss-then-handle", {"handle": "OnlyAHandle"}, "youtube.com/user/OnlyAHandle",
     "channels.list:forUsername+channels.list:forHandle", 2, 0),
    ("custom-c-initial-data", {"custom_name": "GoogleDevs"}, "youtube.com/c/GoogleDevs",
     "page+channels.list:id", 1, 1),
    ("custom-bare-meta", {"custom_name": "GoogleDevs", "page_style": "meta"},
     "https://www.youtube.com/GoogleDevs", "page+channels.list:id", 1, 1),
    ("custom-canonical", {"custom_name": "GoogleDevs", "page_style": "canonical"},
     "youtube.com/c/GoogleDevs/featured", "page+channels.list:id", 1, 1),
    ("custom-consent", {"custom_name": "GoogleDevs", "page_style": "consent"},
     "youtube.com/c/GoogleDevs", "page+channels.list:id", 1, 1),
    ("custom-legacy-username-page", {"username": "OldName"}, "youtube.com/OldName",
     "page+channels.list:id", 1, 1),
    ("custom-page-blank-then-handle", {"handle": "GoogleDevs", "page_style": "none"},
     "youtube.com/c/GoogleDevs", "page+channels.list:forHandle", 1, 1),
    ("video", {}, f"https://youtu.be/{VIDEO}", "videos.list+channels.list:id", 2, 0),
    ("video-shorts", {}, f"youtube.com/shorts/{VIDEO}?feature=share",
     "videos.list+channels.list:id", 2, 0),
]  # fmt: skip


@pytest.mark.parametrize(
    ("channel", "text", "route", "units", "pages"),
    [pytest.param(*row[1:], id=row[0]) for row in ROUTES],
)
def test_each_route_and_its_exact_cost(
    youtube: FakeYouTube, resolve, channel: dict, text: str, route: str, units: int, pages: int
) -> None:
    youtube.add_channel(title="Decoy listed first", handle="decoy")  # featured on the page
    youtube.add_channel(CHANNEL, title="Google Developers", **channel)
    youtube.add_video(CHANNEL, VIDEO)

    resolution = resolve(text)

    assert resolution.channel.channel_id == CHANNEL
    assert resolution.channel.title == "Google Developers"
    assert (resolution.route, resolution.units) == (route, units)
    assert youtube.units() == units
    assert youtube.calls("page") == pages
    assert all(r.key is None for r in youtube.requests if r.method == "page")


def test_page_route_off_goes_straight_to_the_handle(youtube, make_runtime) -> None:
    youtube.add_channel(CHANNEL, handle="GoogleDevs", custom_name="GoogleDevs")
    resolution = make_runtime(resolve_via_page=False).resolver.resolve("youtube.com/c/GoogleDevs")
    assert (resolution.route, resolution.units) == ("channels.list:forHandle", 1)
    assert youtube.calls("page") == 0


def test_page_naming_an_unknown_channel_is_not_found(youtube, resolve) -> None:
    youtube.add_channel(CHANNEL, custom_name="Gone")
    youtube._store.channels[CHANNEL].id = OTHER  # the page names an id the API does not know
    with pytest.raises(NotFound):
        resolve("youtube.com/c/Gone")
    assert api_calls(youtube) == ["channels.list"]


def test_nothing_anywhere_is_not_found_without_search(youtube, resolve) -> None:
    youtube.add_channel(CHANNEL, custom_name="LegacyName", page_style="none")
    with pytest.raises(NotFound):
        resolve("youtube.com/c/LegacyName")
    assert api_calls(youtube) == ["channels.list"]  # the handle try; no search.list
    assert youtube.units() == 1


def test_search_fallback_accepts_only_an_exact_custom_url_with_low_confidence(
    youtube, make_runtime
) -> None:
    youtube.add_channel(OTHER, title="LegacyName fans", custom_name="legacynamefans")
    youtube.add_channel(CHANNEL, title="Legacy", custom_name="LegacyName", page_style="none")
    resolver = make_runtime(allow_search_fallback=True).resolver

    resolution = resolver.resolve("youtube.com/c/LegacyName")

    assert resolution.channel.channel_id == CHANNEL
    assert resolution.confidence == "low"
    assert resolution.route == ("page+channels.list:forHandle+search.list+channels.list:id")
    # The handle try (1), the search (100), one channels.list confirming every candidate (1).
    assert resolution.units == youtube.units() == 102
    confirm = [r for r in youtube.requests if r.method == "channels.list"][-1]
    assert set(confirm.params["id"][0].split(",")) == {CHANNEL, OTHER}

    again = resolver.resolve("https://www.youtube.com/c/legacyname")
    assert (again.route, again.units, again.confidence) == (
        "resolution-cache+data-cache", 0, "low",
    )  # fmt: skip


def test_search_fallback_rejects_candidates_that_only_look_alike(youtube, make_runtime) -> None:
    youtube.add_channel(OTHER, title="LegacyName", handle="somethingelse", page_style="none")
    with pytest.raises(NotFound):
        make_runtime(allow_search_fallback=True).resolver.resolve("youtube.com/LegacyName")
    assert youtube.calls("search.list") == 1


def test_search_bucket_spent_leaves_the_key_usable_for_other_methods(youtube, make_runtime) -> None:
    youtube.add_key(API_KEY, search_budget=0)
    youtube.add_channel(CHANNEL, custom_name="LegacyName", page_style="none")
    runtime = make_runtime(allow_search_fallback=True)
    resolver = runtime.resolver

    with pytest.raises(QuotaExhausted, match=r"search\.list"):
        resolver.resolve("youtube.com/c/LegacyName")
    # Spent for search only: the next channels.list uses the same key.
    assert resolver.resolve(CHANNEL).units == 1
    assert [r.status for r in youtube.requests if r.method == "search.list"] == [403]
    assert youtube.requests[-1].key == API_KEY and youtube.requests[-1].status == 200
    [state] = resolver.youtube.key_pool.states()
    assert state.state == "search exhausted"
    with pytest.raises(QuotaExhausted):  # and search is not asked again today
        resolver.resolve("youtube.com/c/OtherLegacyName")
    assert youtube.calls("search.list") == 1


def test_unknown_video_is_not_found_for_one_unit(youtube, resolve) -> None:
    with pytest.raises(NotFound, match="video"):
        resolve(f"youtu.be/{VIDEO}")
    assert youtube.units() == 1


def test_a_second_resolution_spends_nothing(youtube, resolve) -> None:
    youtube.add_channel(CHANNEL, handle="GoogleDevelopers", custom_name="GoogleDevs")
    youtube.add_video(CHANNEL, VIDEO)
    inputs = ["@GoogleDevelopers", "youtube.com/c/GoogleDevs", f"youtu.be/{VIDEO}", CHANNEL]
    first = [resolve(text) for text in inputs]
    spent = youtube.units()
    requests = len(youtube.requests)

    second = [resolve(text) for text in inputs]

    assert [r.units for r in first] == [1, 0, 1, 0]
    assert spent == 2
    assert len(youtube.requests) == requests  # not even a page
    assert [r.route for r in second] == ["resolution-cache+data-cache"] * 3 + ["data-cache"]
    assert all(r.channel == first[0].channel for r in second)


def test_stale_data_is_fetched_again_by_id(youtube, make_runtime) -> None:
    youtube.add_channel(CHANNEL, handle="GoogleDevelopers")
    resolver = make_runtime(channel_data_max_age=0).resolver
    resolver.resolve("@GoogleDevelopers")

    again = resolver.resolve("@googledevelopers")

    assert (again.route, again.units) == ("resolution-cache+channels.list:id", 1)
    assert [r.params.get("id") for r in youtube.requests] == [None, [CHANNEL]]


def test_not_found_is_cached_briefly(youtube, resolve, redis_client, settings) -> None:
    with pytest.raises(NotFound):
        resolve("@nobody")
    with pytest.raises(NotFound):
        resolve("@NoBody")
    assert youtube.calls() == 1
    key = Keys(settings.key_prefix).resolution("handle:nobody")
    assert 0 < redis_client.ttl(key) <= settings.not_found_cache_ttl


def test_cache_lifetimes_follow_the_settings(youtube, make_runtime, redis_client) -> None:
    youtube.add_channel(CHANNEL, handle="GoogleDevelopers")
    runtime = make_runtime(resolution_cache_ttl=1000, channel_data_max_age=200)
    runtime.resolver.resolve("@GoogleDevelopers")
    keys = Keys(runtime.settings.key_prefix)
    assert 990 < redis_client.ttl(keys.resolution("handle:googledevelopers")) <= 1000
    assert 190 < redis_client.ttl(keys.channel_data(CHANNEL, 0)) <= 200


def test_a_handle_stays_resolved_when_its_resolution_expires_before_the_data(
    youtube, make_runtime, redis_client
) -> None:
    youtube.add_channel(CHANNEL, handle="GoogleDevelopers")
    runtime = make_runtime(resolution_cache_ttl=100, channel_data_max_age=1000, recent_videos=1)
    runtime.resolver.resolve("@GoogleDevelopers")
    keys = Keys(runtime.settings.key_prefix)
    redis_client.delete(keys.resolution("handle:googledevelopers"))  # it expired first

    again = runtime.resolver.resolve("@GoogleDevelopers")  # looked up; data from the cache
    requests = len(youtube.requests)
    third = runtime.resolver.resolve("@GoogleDevelopers")

    assert again.route == "channels.list:forHandle"
    assert third.route == "resolution-cache+data-cache"
    assert len(youtube.requests) == requests


def test_each_job_spend_is_its_own(youtube, resolve) -> None:
    youtube.add_channel(CHANNEL, handle="GoogleDevelopers")
    spend = Spend()
    resolve("@GoogleDevelopers", spend)
    assert (spend.units, spend.calls) == (1, 1)


def test_caches_turned_off_cost_every_call_again(youtube, make_runtime) -> None:
    youtube.add_channel(CHANNEL, handle="GoogleDevelopers")
    resolver = make_runtime(
        resolution_cache_ttl=0, not_found_cache_ttl=0, channel_data_max_age=0
    ).resolver
    for _ in range(2):
        assert resolver.resolve("@GoogleDevelopers").route == "channels.list:forHandle"
        with pytest.raises(NotFound):
            resolver.resolve("@nobody")
    assert youtube.calls() == 4


def test_queued_cache_writes_wait_for_the_caller(youtube, make_runtime, redis_client) -> None:
    youtube.add_channel(CHANNEL, handle="GoogleDevelopers")
    runtime = make_runtime()
    writes = runtime.store.pipeline()
    runtime.resolver.resolve("@GoogleDevelopers", writes=writes)
    with pytest.raises(NotFound):
        runtime.resolver.resolve("@nobody", writes=writes)
    keys = Keys(runtime.settings.key_prefix)
    cached = [keys.resolution("handle:googledevelopers"), keys.channel_data(CHANNEL, 0),
              keys.channel_snapshots(CHANNEL), keys.resolution("handle:nobody")]  # fmt: skip
    assert redis_client.exists(*cached) == 0
    writes.execute()
    assert redis_client.exists(*cached) == len(cached)

    assert runtime.resolver.resolve("@googledevelopers").route == "resolution-cache+data-cache"
    with pytest.raises(NotFound):
        runtime.resolver.resolve("@NoBody")
    assert youtube.calls() == 2


def test_a_resolution_read_early_is_not_read_again(youtube, make_runtime, redis_client) -> None:
    youtube.add_channel(CHANNEL, handle="GoogleDevelopers")
    resolver = make_runtime().resolver
    resolver.resolve("@GoogleDevelopers")  # cached: the handle now resolves without a call
    (key,) = resolver.prefetch_keys("@googledevelopers")

    # What the caller read stands, even against what Redis holds now.
    with pytest.raises(NotFound):
        resolver.resolve("@googledevelopers", prefetched={key: NOT_FOUND})
    assert resolver.resolve("@googledevelopers", prefetched={key: None}).route == (
        "channels.list:forHandle"
    )
    assert resolver.prefetch_keys(CHANNEL) == resolver.prefetch_keys("not a channel!") == []
