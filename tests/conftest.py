import os

import pytest
from django.db import connection


def _services_required():
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture
def require_postgres():
    """Skip on the embedded SQLite default; in CI a missing PostgreSQL fails."""
    if connection.vendor != "postgresql":
        if _services_required():
            pytest.fail("CI must run the suite on PostgreSQL (set DATABASE_URL).")
        pytest.skip("needs PostgreSQL (DATABASE_URL)")


@pytest.fixture
def redis_url(settings):
    """The configured Redis; in CI a missing or unreachable Redis fails."""
    import redis

    url = settings.REDIS_URL
    if not url:
        if _services_required():
            pytest.fail("CI must provide Redis (set REDIS_URL).")
        pytest.skip("needs Redis (REDIS_URL)")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if _services_required():
            pytest.fail(f"Redis at {url} is not reachable: {error}")
        pytest.skip(f"Redis at {url} is not reachable")
    return url


@pytest.fixture(autouse=True)
def empty_cache():
    """Cached statistics never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
