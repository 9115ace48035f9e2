"""The fake YouTube API is faithful to the recorded samples, and its test controls work."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.fake_youtube import FakeYouTube, RecordedRequest
from tests.fake_youtube.ledger import ERROR_FAULTS
from tests.fake_youtube.samples import ERROR_SAMPLES, sample, sample_bytes

KEY = "test-key"
ALL_CHANNEL_PARTS = "snippet,contentDetails,statistics,topicDetails,status,brandingSettings"
TOPICS = [
    "https://en.wikipedia.org/wiki/Entertainment",
    "https://en.wikipedia.org/wiki/Technology",
]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeYouTube]:
    with FakeYouTube() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeYouTube) -> Iterator[FakeYouTube]:
    server.reset()
    server.add_key(KEY)
    yield server
    server.release()


@pytest.fixture
def client(fake: FakeYouTube) -> Iterator[httpx.Client]:
    headers = {"X-Goog-Api-Key": KEY}
    with httpx.Client(base_url=fake.base_url, headers=headers, timeout=5) as c:
        yield c


@pytest.fixture
def web(fake: FakeYouTube) -> Iterator[httpx.Client]:
    """A client with no key and absolute URLs (pages, keyless API calls)."""
    with httpx.Client(timeout=5) as c:
        yield c


def tree(obj: object, prefix: str = "") -> set[str]:
    """Every key path in a JSON value; list elements are merged under ``[]``."""
    paths: set[str] = set()
    if isinstance(obj, dict):
        for key, value in obj.items():
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            paths |= tree(value, path)
    elif isinstance(obj, list):
        for value in obj:
            paths |= tree(value, prefix + "[]")
    return paths


def add_full_channel(fake: FakeYouTube, **overrides: object) -> dict:
    kwargs: dict = {
        "title": "Google for Developers",
        "handle": "GoogleDevelopers",
        "description": "Talks, tips and news.",
        "keywords": '"google developers" android',
        "topic_categories": TOPICS,
        "subscriber_count": 2_412_345,
    }
    kwargs.update(overrides)
    return fake.add_channel(**kwargs)


def sample_item(name: str, index: int = 0) -> dict:
    return sample(name)["items"][index]


# -- channels.list -------------------------------------------------------------------------


def test_channel_snippet_content_statistics_has_the_sample_structure(fake, client):
    add_full_channel(fake)
    r = client.get(
        "/channels", params={"part": "snippet,contentDetails,statistics", "forHandle": "@x"}
    )
    assert r.status_code == 200 and "items" not in r.json()
    r = client.get(
        "/channels",
        params={"part": "snippet,contentDetails,statistics", "forHandle": "@GoogleDevelopers"},
    )
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json; charset=UTF-8"
    body = r.json()
    recorded = sample("channels.list_googledevelopers_snippet_contentDetails_statistics.json")
    assert body.keys() == recorded.keys()
    assert tree(body["items"][0]) == tree(recorded["items"][0])
    item = body["items"][0]
    assert item["snippet"]["customUrl"] == "@googledevelopers"
    assert item["contentDetails"]["relatedPlaylists"] == {
        "likes": "",
        "uploads": "UU" + item["id"][2:],
    }
    stats = item["statistics"]
    assert stats == {
        "viewCount": "45678",
        "subscriberCount": "2410000",  # 3 significant figures
        "hiddenSubscriberCount": False,
        "videoCount": "0",
    }


def test_channel_snippet_only_matches_the_snippet_sample(fake, client):
    channel = add_full_channel(fake)
    r = client.get("/channels", params={"part": "snippet", "id": channel["id"]})
    recorded = sample("channels.list_id_snippet.json")
    assert tree(r.json()) == tree(recorded)


OLD_BRANDING = ("brandingSettings.hints", "brandingSettings.image.")


def test_channel_all_parts_match_the_full_sample_with_modern_differences(fake, client):
    channel = add_full_channel(fake)
    r = client.get("/channels", params={"part": ALL_CHANNEL_PARTS, "id": channel["id"]})
    item = r.json()["items"][0]
    recorded = tree(sample_item("channels.list_id_all_parts_topicDetails_status.json"))
    dropped = {  # gone from today's responses
        "contentDetails.relatedPlaylists.watchHistory",
        "contentDetails.relatedPlaylists.watchLater",
        "statistics.commentCount",
        "brandingSettings.hints",
        *(p for p in recorded if p.startswith(OLD_BRANDING)),
        *(
            f"brandingSettings.channel.{k}"
            for k in (
                "defaultTab",
                "trackingAnalyticsAccountId",
                "moderateComments",
                "showRelatedChannels",
                "showBrowseView",
                "featuredChannelsTitle",
                "featuredChannelsUrls",
                "unsubscribedTrailer",
                "profileColor",
            )
        ),
    }
    added = {"contentDetails.relatedPlaylists.likes", "brandingSettings.image.bannerExternalUrl"}
    assert tree(item) == (recorded - dropped) | added
    # every added key is itself in a newer recording
    modern = tree(
        sample("channels.list_id_snippet_contentDetails_statistics_brandingSettings_2items.json")
    )
    assert {"items[]." + p for p in added} <= modern
    assert item["topicDetails"]["topicCategories"] == TOPICS
    assert item["topicDetails"]["topicIds"] == ["/m/02jjt", "/m/07c1v"]
    assert item["brandingSettings"]["channel"]["keywords"] == '"google developers" android'
    assert item == channel  # add_channel returns the full item


def test_channel_items_hold_only_the_requested_parts(fake, client):
    channel = add_full_channel(fake)
    for part, expected in [
        ("id", set()),
        ("statistics", {"statistics"}),
        ("snippet,status", {"snippet", "status"}),
        ("brandingSettings,topicDetails", {"brandingSettings", "topicDetails"}),
    ]:
        item = client.get("/channels", params={"part": part, "id": channel["id"]}).json()
        assert item["items"][0].keys() == {"kind", "etag", "id", *expected}


def test_channel_optional_values(fake, client):
    ch = fake.add_channel(hidden_subscriber_count=True, country=None, custom_name="OldName")
    legacy = fake.add_channel(username="LegacyUser", default_language="de")
    r = client.get("/channels", params={"part": "snippet,statistics", "id": ch["id"]})
    item = r.json()["items"][0]
    assert "subscriberCount" not in item["statistics"]
    assert item["statistics"]["hiddenSubscriberCount"] is True
    assert "country" not in item["snippet"]
    assert item["snippet"]["customUrl"] == "oldname"  # legacy custom URL, no "@"
    r = client.get("/channels", params={"part": "snippet", "forUsername": "legacyuser"})
    snippet = r.json()["items"][0]["snippet"]
    assert r.json()["items"][0]["id"] == legacy["id"]
    assert "customUrl" not in snippet
    assert snippet["defaultLanguage"] == "de"


def test_no_match_has_no_items_key(fake, client):
    recorded = sample("channels.list_forUsername_not_found_no_items.json")
    fake.add_channel(handle="someone", username="someone")
    for params in [
        {"forHandle": "@nobody"},
        {"forUsername": "nobody"},
        {"id": "UC_x5XG1OV2P6uZZ5FSM9Ttw"},
    ]:
        r = client.get("/channels", params={"part": "snippet", **params})
        assert r.status_code == 200
        body = r.json()
        assert body.keys() == recorded.keys()
        assert body["pageInfo"] == {"totalResults": 0, "resultsPerPage": 5}


def test_handle_lookup_forms(fake, client, web):
    ch = fake.add_channel(handle="CaféChannel")
    for value in ["@CaféChannel", "caféchannel", "@CAFÉCHANNEL"]:
        r = client.get("/channels", params={"part": "id", "forHandle": value})
        assert r.json()["items"][0]["id"] == ch["id"], value
    raw = f"{fake.base_url}/channels?part=id&forHandle=%40caf%C3%A9channel"
    assert web.get(raw, headers={"X-Goog-Api-Key": KEY}).json()["items"][0]["id"] == ch["id"]
    by_query_key = web.get(f"{fake.base_url}/channels?part=id&forHandle=cafechannel&key={KEY}")
    assert by_query_key.status_code == 200 and "items" not in by_query_key.json()


def test_multi_id_reply_order_is_not_request_order(fake, client):
    ids = [fake.add_channel()["id"] for _ in range(5)]
    for requested in [sorted(ids), sorted(ids, reverse=True), ids]:
        query = ",".join([*requested, "UCxxxxxxxxxxxxxxxxxxxxxx"])
        body = client.get("/channels", params={"part": "id", "id": query}).json()
        got = [item["id"] for item in body["items"]]
        assert sorted(got) == sorted(ids)
        assert got != requested
        assert body["pageInfo"]["totalResults"] == 5


def test_channel_parameter_errors(fake, client):
    ch = fake.add_channel(handle="h", username="u")
    r = client.get("/channels", params={"part": "snippet"})
    assert r.status_code == 400
    assert r.content == sample_bytes("error_400_missingRequiredParameter_no_filter.json")
    r = client.get("/channels", params={"part": "snippet", "id": ch["id"], "forHandle": "h"})
    assert r.status_code == 400
    assert r.json()["error"]["errors"][0]["reason"] == "incompatibleParameters"
    r = client.get("/channels", params={"part": "snippets", "id": ch["id"]})
    error = r.json()["error"]
    assert r.status_code == 400 and error["errors"][0]["reason"] == "unknownPart"
    assert error["errors"][0]["location"] == "part"
    r = client.get("/channels", params={"id": ch["id"]})
    assert r.status_code == 400 and r.json()["error"]["errors"][0]["reason"] == "required"
    r = client.get("/channels", params={"part": "id", "id": ",".join(["UCa"] * 25 + ["UCb"] * 26)})
    assert r.status_code == 200  # duplicates collapse: 2 ids
    r = client.get("/channels", params={"part": "id", "id": ",".join(f"UC{i}" for i in range(51))})
    assert r.status_code == 400
    r = client.get("/channels", params={"part": "id", "mine": "true"})
    assert r.status_code == 401
    assert fake.units("channels.list") == 7  # parameter errors are charged


# -- videos.list ---------------------------------------------------------------------------


def test_videos_have_the_sample_structure_without_dislikes(fake, client):
    ch = fake.add_channel()
    video = fake.add_video(ch["id"], "D-lhorsDlUQ", tags=["a", "b"], duration="PT21M7S")
    r = client.get(
        "/videos",
        params={"part": "snippet,contentDetails,status,statistics", "id": "D-lhorsDlUQ"},
    )
    body = r.json()
    recorded = sample("videos.list_id_snippet_contentDetails_status_statistics.json")
    assert body.keys() == recorded.keys()
    expected = (tree(recorded["items"][0]) - {"statistics.dislikeCount"}) | {"status.madeForKids"}
    assert tree(body["items"][0]) == expected
    item = body["items"][0]
    assert item == video
    assert item["contentDetails"]["duration"] == "PT21M7S"
    assert item["statistics"] == {
        "viewCount": "100",
        "likeCount": "10",
        "favoriteCount": "0",
        "commentCount": "2",
    }


def test_videos_hidden_counts_removed_videos_and_order(fake, client):
    ch = fake.add_channel()
    hidden = fake.add_video(ch["id"], like_count=None, comment_count=None, default_language=None)
    others = [fake.add_video(ch["id"], live_broadcast_content="live")["id"] for _ in range(3)]
    gone = fake.add_video(ch["id"])["id"]
    fake.remove_video(gone)
    requested = [hidden["id"], *others, gone, "nonexistent"]
    body = client.get("/videos", params={"part": "snippet,statistics", "id": ",".join(requested)})
    items = body.json()["items"]
    got = [i["id"] for i in items]
    assert sorted(got) == sorted([hidden["id"], *others])
    assert got != requested[:4]
    by_id = {i["id"]: i for i in items}
    assert by_id[hidden["id"]]["statistics"] == {"viewCount": "100", "favoriteCount": "0"}
    assert "defaultLanguage" not in by_id[hidden["id"]]["snippet"]
    assert by_id[others[0]]["snippet"]["liveBroadcastContent"] == "live"
    none = client.get("/videos", params={"part": "id", "id": "nonexistent"}).json()
    assert none["items"] == [] and none["pageInfo"]["totalResults"] == 0


# -- playlistItems.list --------------------------------------------------------------------


def test_uploads_playlist_pages_newest_first(fake, client):
    ch = fake.add_channel()
    for n in range(7):
        fake.add_video(ch["id"], f"video{n:06d}", published_at=f"2024-03-0{n + 1}T10:00:00Z")
    fake.remove_video("video000003")  # still listed in the playlist
    playlist = "UU" + ch["id"][2:]
    params = {"part": "snippet,contentDetails", "playlistId": playlist}
    first = client.get("/playlistItems", params=params).json()
    recorded = sample("playlistItems.list_uploads_UU_snippet_contentDetails.json")
    assert first.keys() == recorded.keys()
    assert tree(first["items"][0]) == tree(recorded["items"][0])
    assert len(first["items"]) == 5  # default maxResults
    second = client.get(
        "/playlistItems", params={**params, "pageToken": first["nextPageToken"]}
    ).json()
    assert "nextPageToken" not in second and "prevPageToken" in second
    got = [i["contentDetails"]["videoId"] for i in first["items"] + second["items"]]
    assert got == [f"video{n:06d}" for n in range(6, -1, -1)]
    snippet = first["items"][0]["snippet"]
    assert snippet["videoOwnerChannelId"] == ch["id"] and snippet["playlistId"] == playlist
    assert snippet["resourceId"] == {"kind": "youtube#video", "videoId": "video000006"}
    assert first["items"][0]["contentDetails"]["videoPublishedAt"] == "2024-03-07T10:00:00Z"
    assert first["pageInfo"] == {"totalResults": 7, "resultsPerPage": 5}
    big = client.get("/playlistItems", params={**params, "maxResults": 50}).json()
    assert len(big["items"]) == 7 and "nextPageToken" not in big
    assert client.get("/playlistItems", params={**params, "maxResults": 51}).status_code == 400
    bad = client.get("/playlistItems", params={**params, "pageToken": "garbage"})
    assert bad.status_code == 400


def test_missing_uploads_playlist_is_404_playlist_not_found(fake, client):
    ch = fake.add_channel(uploads=False)
    for playlist in ["UU" + ch["id"][2:], "UUnothere", "PLsomething"]:
        r = client.get("/playlistItems", params={"part": "contentDetails", "playlistId": playlist})
        assert r.status_code == 404
        message = (
            "The playlist identified with the request's <code>playlistId</code> parameter "
            "cannot be found."
        )
        assert r.json() == {
            "error": {
                "code": 404,
                "message": message,
                "errors": [
                    {
                        "message": message,
                        "domain": "youtube.playlistItem",
                        "reason": "playlistNotFound",
                        "location": "playlistId",
                        "locationType": "parameter",
                    }
                ],
            }
        }
        assert b"\\u003ccode\\u003e" in r.content and b"<" not in r.content
    assert fake.units("playlistItems.list") == 3


# -- search.list ---------------------------------------------------------------------------


def test_search_has_the_sample_structure_and_costs_100(fake, client):
    for n in range(7):
        fake.add_channel(title=f"Cooking Show {n}", handle=f"cook{n}")
    fake.add_channel(title="Other", handle="MyCookingHandle")
    fake.add_channel(title="Unrelated")
    params = {"part": "snippet", "type": "channel", "q": "COOK"}
    body = client.get("/search", params=params).json()
    recorded = sample("search.list_type_channel.json")
    assert body.keys() == recorded.keys()
    assert tree(body["items"][0]) == tree(recorded["items"][0]) | {"snippet.publishTime"}
    assert body["items"][0]["id"]["kind"] == "youtube#channel"
    rest = client.get("/search", params={**params, "pageToken": body["nextPageToken"]}).json()
    titles = [i["snippet"]["title"] for i in body["items"] + rest["items"]]
    assert len(titles) == 8 and "Other" in titles and "Unrelated" not in titles
    assert fake.units("search.list") == 200 and fake.units_by_key[KEY] == 200


def test_search_bucket_runs_out_separately(fake, client):
    fake.add_key("searcher", budget=10_000, search_budget=2)
    headers = {"X-Goog-Api-Key": "searcher"}
    ch = fake.add_channel(title="Findable")
    params = {"part": "snippet", "type": "channel", "q": "find"}
    statuses = [client.get("/search", params=params, headers=headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 403]
    r = client.get("/search", params=params, headers=headers)
    assert r.content == sample_bytes("error_403_quotaExceeded.json")
    r = client.get("/channels", params={"part": "id", "id": ch["id"]}, headers=headers)
    assert r.status_code == 200
    assert fake.units_by_key["searcher"] == 201


# -- keys and quota ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "sample_name"),
    [
        (None, "error_400_keyInvalid_current_API_KEY_INVALID.json"),
        ("invalid", "error_400_keyInvalid_current_API_KEY_INVALID.json"),
        ("invalid_legacy", "error_400_keyInvalid_legacy.json"),
        ("disabled", "error_403_accessNotConfigured_current_SERVICE_DISABLED.json"),
        ("disabled_legacy", "error_403_accessNotConfigured_legacy.json"),
    ],
)
def test_key_errors_are_the_recorded_bodies(fake, state, sample_name, web):
    if state is not None:
        fake.add_key("bad", state=state)
    url = f"{fake.base_url}/channels?part=id&id=UC_x5XG1OV2P6uZZ5FSM9Ttw"
    r = web.get(url, headers={"X-Goog-Api-Key": "bad"})
    assert r.status_code == json.loads(sample_bytes(sample_name))["error"]["code"]
    assert r.content == sample_bytes(sample_name)
    assert web.get(url).content == sample_bytes(
        "error_400_keyInvalid_current_API_KEY_INVALID.json"
    )  # no key at all
    assert fake.units() == 0


def test_budget_projects_and_check_before_charge(fake, client):
    fake.add_key("small", budget=3)
    fake.add_key("a", budget=5, project="p")
    fake.add_key("b", project="p")  # shares p's 5 units
    fake.add_key("mixed", budget=150)
    ch = fake.add_channel()
    params = {"part": "id", "id": ch["id"]}

    def status(key: str, path: str = "/channels") -> int:
        p = params if path == "/channels" else {"part": "snippet", "q": "x"}
        return client.get(path, params=p, headers={"X-Goog-Api-Key": key}).status_code

    assert [status("small") for _ in range(4)] == [200, 200, 200, 403]
    assert [status(k) for k in "ababab"] == [200, 200, 200, 200, 200, 403]
    assert fake.units_by_key["a"] == 3 and fake.units_by_key["b"] == 2
    assert status("mixed", "/search") == 200
    assert status("mixed", "/search") == 403  # 100 more would pass 150: refused, not charged
    assert [status("mixed") for _ in range(51)].count(200) == 50
    assert fake.units_by_key["mixed"] == 150
    fake.new_day()
    assert status("small") == 200


# -- injected faults -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ERROR_FAULTS)
def test_error_faults_are_the_recorded_bodies(fake, client, kind):
    ch = fake.add_channel()
    fake.fail_next(2, kind, method="channels.list")
    status, filename = ERROR_SAMPLES[kind]
    videos = client.get("/videos", params={"part": "id", "id": "x"})
    assert videos.status_code == 200  # other methods unaffected
    for _ in range(2):
        r = client.get("/channels", params={"part": "id", "id": ch["id"]})
        assert r.status_code == status
        assert r.content == sample_bytes(filename)
        assert r.json()["error"]["code"] == status
    assert client.get("/channels", params={"part": "id", "id": ch["id"]}).status_code == 200
    assert fake.units("channels.list") == 1 and fake.calls("channels.list") == 3


def test_malformed_truncated_and_reset(fake, client):
    ch = fake.add_channel()
    params = {"part": "snippet", "id": ch["id"]}
    whole = client.get("/channels", params=params).content
    fake.fail_next(1, "malformed")
    r = client.get("/channels", params=params)
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)
    fake.fail_next(1, "truncated")
    r = client.get("/channels", params=params)
    assert r.status_code == 200 and int(r.headers["content-length"]) == len(r.content)
    assert whole.startswith(r.content) and len(r.content) == len(whole) // 2
    fake.fail_next(1, "reset")
    with pytest.raises(httpx.TransportError):
        client.get("/channels", params=params)
    assert client.get("/channels", params=params).status_code == 200
    assert fake.units() == 2
    assert [q.status for q in fake.requests] == [200, 200, 200, 0, 200]


def test_timeout_fault_ends_when_the_fake_stops():
    with FakeYouTube() as fake:
        fake.fail_next(1, "timeout")
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{fake.base_url}/channels?part=id&id=x", timeout=0.3)
        assert fake.requests[0].status == 0
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 2 and stopping - started < 2


def test_chaos_is_deterministic_for_a_seed(fake, client):
    ch = fake.add_channel()

    def run(seed: int) -> list[str]:
        fake.set_chaos({"500": 0.2, "429": 0.1, "malformed": 0.1, "quotaExceeded": 0.1}, seed=seed)
        out = []
        for _ in range(40):
            r = client.get("/channels", params={"part": "id", "id": ch["id"]})
            ok = r.status_code == 200 and r.content.startswith(b"{")
            out.append("ok" if ok else f"{r.status_code}:{r.content[:20]!r}")
        return out

    first, again, other = run(7), run(7), run(8)
    assert first == again != other
    faults = [outcome for outcome in first if outcome != "ok"]
    assert 8 < len(faults) < 32  # about half
    assert {f.split(":")[0] for f in faults} == {"500", "429", "200", "403"}
    assert fake.units() == first.count("ok") * 2 + other.count("ok")
    fake.set_chaos({})
    statuses = {
        client.get("/channels", params={"part": "id", "id": ch["id"]}).status_code
        for _ in range(20)
    }
    assert statuses == {200}
    with pytest.raises(ValueError):
        fake.set_chaos({"explode": 0.5})


def test_hold_and_release(fake, web):
    ch = fake.add_channel()
    results: list[int] = []
    url = f"{fake.base_url}/channels?part=id&id={ch['id']}&key={KEY}"
    fake.hold()
    threads = [
        threading.Thread(target=lambda: results.append(web.get(url).status_code)) for _ in range(3)
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 5
    while fake.held_count() < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fake.held_count() == 3 and results == [] and fake.calls() == 0
    fake.release()
    for t in threads:
        t.join(5)
    assert results == [200, 200, 200] and fake.held_count() == 0 and fake.units() == 3


def test_latency(fake, client):
    fake.latency = 0.2
    started = time.monotonic()
    client.get("/videos", params={"part": "id", "id": "x"})
    assert time.monotonic() - started >= 0.2
    fake.reset()
    assert fake.latency == 0


# -- wire, log and counters ----------------------------------------------------------------


def test_keep_alive_on_one_socket(fake):
    ch = fake.add_channel()
    host, port = urlsplit(fake.base_url).netloc.split(":")
    request = (
        f"GET /youtube/v3/channels?part=id&id={ch['id']} HTTP/1.1\r\nHost: {host}\r\n"
        f"X-Goog-Api-Key: {KEY}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        reader = sock.makefile("rb")
        for _ in range(3):
            sock.sendall(request)
            status = reader.readline()
            headers = {}
            while (line := reader.readline()) != b"\r\n":
                name, _, value = line.decode().partition(":")
                headers[name.lower()] = value.strip()
            body = reader.read(int(headers["content-length"]))
            assert status.startswith(b"HTTP/1.1 200") and json.loads(body)["items"]
            assert "connection" not in headers


def test_request_log_and_counters(fake, client, web):
    ch = fake.add_channel(handle="logme")
    client.get("/channels", params={"part": "id", "forHandle": "@logme"})
    web.get(f"{fake.web_base_url}/@logme")
    first, page = fake.requests
    assert isinstance(first, RecordedRequest)
    assert first.method == "channels.list" and first.path == "/youtube/v3/channels"
    assert first.params == {"part": ["id"], "forHandle": ["@logme"]}
    assert (first.key, first.status, first.units) == (KEY, 200, 1)
    assert abs(first.time - time.time()) < 5
    assert (page.method, page.path, page.status, page.units) == ("page", "/@logme", 200, 0)
    assert fake.calls() == 2 and fake.calls("page") == 1 and fake.units() == 1
    assert ch["id"] in web.get(f"{fake.web_base_url}/@logme").text


def test_concurrent_requests_are_counted_exactly(fake):
    ch = fake.add_channel()
    url = f"{fake.base_url}/channels"

    def work() -> None:
        with httpx.Client(headers={"X-Goog-Api-Key": KEY}) as c:
            for _ in range(25):
                assert c.get(url, params={"part": "id", "id": ch["id"]}).status_code == 200

    threads = [threading.Thread(target=work) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fake.units() == 400 and fake.calls() == 400 and fake.units_by_key[KEY] == 400


# -- channel web pages ---------------------------------------------------------------------

UC_RE = re.compile(r"UC[\w-]{22}")


def initial_data(html: str) -> dict:
    match = re.search(r"var ytInitialData = (\{.*?\});</script>", html)
    assert match
    return json.loads(match.group(1))


def test_initial_data_page_and_its_decoys(fake, web):
    decoy = fake.add_channel(title="Featured friend")
    ch = fake.add_channel(handle="Pagey", custom_name="PageyOld", username="pageyuser")
    for path in [
        "/@pagey",
        "/@Pagey/videos",
        "/c/pageyold",
        "/user/PageyUser/about",
        "/PageyOld",
        "/pageyuser",
        f"/channel/{ch['id']}",
        f"/channel/{ch['id']}/",
    ]:
        r = web.get(fake.web_base_url + path)
        assert r.status_code == 200, path
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        data = initial_data(r.text)
        assert data["metadata"]["channelMetadataRenderer"]["externalId"] == ch["id"]
        assert UC_RE.search(r.text).group(0) == decoy["id"]  # a naive regex is wrong
        first_key = re.search(r'"channelId": "(UC[\w-]{22})"', r.text)
        assert first_key and first_key.group(1) != ch["id"]
    for path in ["/@nobody", "/c/nobody", f"/channel/{ch['id'].lower()}", "/@pagey/nonsense"]:
        assert web.get(fake.web_base_url + path).status_code == 404
    assert fake.units() == 0


def test_meta_canonical_and_none_pages(fake, web):
    meta = fake.add_channel(handle="meta", page_style="meta")
    canonical = fake.add_channel(handle="canon", page_style="canonical")
    fake.add_channel(handle="blank", page_style="none")
    text = web.get(f"{fake.web_base_url}/@meta").text
    assert "ytInitialData" not in text
    assert f'<meta itemprop="identifier" content="{meta["id"]}">' in text
    assert f'<meta itemprop="channelId" content="{meta["id"]}">' in text
    text = web.get(f"{fake.web_base_url}/@canon").text
    assert UC_RE.findall(text) == [canonical["id"]]
    assert (
        f'<link rel="canonical" href="https://www.youtube.com/channel/{canonical["id"]}">' in text
    )
    r = web.get(f"{fake.web_base_url}/@blank")
    assert r.status_code == 200 and not UC_RE.search(r.text)


def test_consent_redirect(fake, web):
    ch = fake.add_channel(handle="eu", page_style="consent")
    url = f"{fake.web_base_url}/@eu/videos"
    r = web.get(url)
    assert r.status_code == 302
    location = r.headers["location"]
    assert location.startswith(f"{fake.web_base_url}/consent?continue=")
    assert parse_qs(urlsplit(location).query)["continue"] == [url]
    form = web.get(location)
    assert form.status_code == 200 and not UC_RE.search(form.text) and "<form" in form.text
    assert web.get(url, headers={"Cookie": "CONSENT=PENDING+123"}).status_code == 302
    for cookie in ["SOCS=CAI", "CONSENT=YES+cb.20210328-17-p0.en+FX+000", "a=b; SOCS=CAESEwgD"]:
        r = web.get(url, headers={"Cookie": cookie})
        assert r.status_code == 200
        assert initial_data(r.text)["metadata"]["channelMetadataRenderer"]["externalId"] == ch["id"]
    followed = web.get(url, follow_redirects=True)
    assert followed.status_code == 200 and not UC_RE.search(followed.text)
    assert [q.status for q in fake.requests if q.method == "page"][:2] == [302, 200]
