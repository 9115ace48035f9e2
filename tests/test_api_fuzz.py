"""The HTTP API fuzzed against its own OpenAPI document (schemathesis): never a 5xx."""

from __future__ import annotations

import redis
import schemathesis
from hypothesis import HealthCheck, settings

from collector.api import create_app
from collector.config import Settings
from tests.conftest import _test_redis_url
from tests.test_api import AUTH, TOKEN

# Built at import, as schemathesis needs; the app connects to Redis only when called, and the
# redis_client fixture empties the test database around the test.
app = create_app(Settings(redis_url=_test_redis_url(), api_token=TOKEN, api_max_identifiers=50))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_conforms_to_its_openapi_document(
    case: schemathesis.Case, redis_client: redis.Redis
) -> None:
    case.call_and_validate(headers=AUTH)
