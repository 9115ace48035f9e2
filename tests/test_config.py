"""Settings: API keys with project labels, quota and retry settings, and their checks."""

from __future__ import annotations

import pytest

from collector.config import ConfigError, Settings
from tests.conftest import API_KEY, SECOND_API_KEY, THIRD_API_KEY


def test_keys_may_carry_a_project_label() -> None:
    raw = f" {API_KEY}@projA , {SECOND_API_KEY}@projA,{THIRD_API_KEY},{API_KEY}@projA "
    settings = Settings.from_env({"YOUTUBE_API_KEYS": raw})

    assert settings.youtube_api_keys == (API_KEY, SECOND_API_KEY, THIRD_API_KEY)
    assert dict(settings.youtube_key_projects) == {API_KEY: "projA", SECOND_API_KEY: "projA"}
    assert API_KEY not in repr(settings)


@pytest.mark.parametrize(
    "raw",
    [
        f"{API_KEY}@",
        "@projA",
        f"{API_KEY}@proj A",
        f"{API_KEY}@projA@projB",
        f"{API_KEY}@projA,{API_KEY}@projB",
    ],
    ids=["empty label", "no key", "space in label", "two labels", "one key, two projects"],
)
def test_a_malformed_key_entry_is_named_by_position_never_by_value(raw: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"YOUTUBE_API_KEYS": raw})
    assert "YOUTUBE_API_KEYS entry" in str(caught.value)
    assert API_KEY not in str(caught.value)


def test_quota_and_retry_settings_are_read() -> None:
    settings = Settings.from_env(
        {
            "YOUTUBE_DAILY_QUOTA": "50000",
            "YOUTUBE_SEARCH_COST": "100",
            "YOUTUBE_SEARCH_DAILY_CALLS": "20",
            "YOUTUBE_MAX_RPS": "12.5",
            "YOUTUBE_RETRY_ATTEMPTS": "3",
            "YOUTUBE_RETRY_BASE_DELAY": "0.25",
            "YOUTUBE_RETRY_MAX_DELAY": "2",
            "ON_QUOTA_EXHAUSTED": "Wait",
            "COLLECTOR_PARKED_CHECK_SECONDS": "5",
        }
    )
    assert (settings.youtube_daily_quota, settings.youtube_search_daily_calls) == (50000, 20)
    assert settings.youtube_max_rps == 12.5
    assert (settings.youtube_retry_attempts, settings.youtube_retry_base_delay) == (3, 0.25)
    assert settings.on_quota_exhausted == "wait"
    assert settings.parked_check_seconds == 5


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ON_QUOTA_EXHAUSTED": "sleep"}, "ON_QUOTA_EXHAUSTED"),
        ({"YOUTUBE_DAILY_QUOTA": "0"}, "YOUTUBE_DAILY_QUOTA"),
        ({"YOUTUBE_MAX_RPS": "-1"}, "YOUTUBE_MAX_RPS"),
        ({"YOUTUBE_RETRY_ATTEMPTS": "0"}, "YOUTUBE_RETRY_ATTEMPTS"),
        ({"YOUTUBE_RETRY_BASE_DELAY": "5", "YOUTUBE_RETRY_MAX_DELAY": "1"}, "BASE_DELAY"),
        ({"YOUTUBE_RETRY_ATTEMPTS": "8"}, "COLLECTOR_TASK_SOFT_TIME_LIMIT"),
    ],
    ids=["policy", "quota", "rps", "attempts", "delays", "retries outlast the job"],
)
def test_bad_quota_and_retry_settings_are_refused(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(env)


def test_the_defaults_keep_a_failing_call_inside_the_soft_time_limit() -> None:
    settings = Settings.from_env({})
    worst = (
        settings.youtube_retry_attempts
        * (settings.http_connect_timeout + settings.http_read_timeout)
        + (settings.youtube_retry_attempts - 1) * settings.youtube_retry_max_delay
    )
    assert worst < settings.task_soft_time_limit
    assert (settings.youtube_daily_quota, settings.on_quota_exhausted) == (10_000, "fail")
    assert (settings.youtube_search_cost, settings.youtube_max_rps) == (100, 0)
