"""The cache is optional: with Redis unreachable, pages are served uncached.

`OptionalRedisCache` is Django's Redis cache that answers a miss (and forgets a
write) when Redis cannot be reached, instead of raising. After a connection
error it does not try Redis again for `RETRY_AFTER` seconds (per process), so a
page with several cache calls pays for at most one failed connection; the short
socket timeouts in the settings bound that one too.
"""

import logging
import time

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)

# Location → time.monotonic() before which Redis is not tried again. Shared by
# the threads of a process (each thread has its own backend instance).
_down_until = {}


class OptionalRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        self.retry_after = float(options.pop("RETRY_AFTER", 5))
        super().__init__(server, {**params, "OPTIONS": options})
        self.location = server if isinstance(server, str) else ",".join(server)

    @property
    def reachable(self):
        """False for a while after Redis could not be reached."""
        return _down_until.get(self.location, 0.0) <= time.monotonic()

    def _attempt(self, method, fallback, *args):
        """RedisCache's `method`, or `fallback` if Redis cannot be reached."""
        if not self.reachable:
            return fallback
        try:
            return getattr(RedisCache, method)(self, *args)
        except UNREACHABLE as error:
            if self.reachable:
                logger.warning(
                    "Cache unreachable (%s: %s); serving uncached for %s s.",
                    error.__class__.__name__,
                    error,
                    self.retry_after,
                )
            _down_until[self.location] = time.monotonic() + self.retry_after
            return fallback

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt("add", False, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._attempt("get", default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt("set", None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._attempt("delete", False, key, version)

    def get_many(self, keys, version=None):
        return self._attempt("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._attempt("has_key", False, key, version)

    def incr(self, key, delta=1, version=None):
        missing = object()
        value = self._attempt("incr", missing, key, delta, version)
        if value is missing:
            # As for a key that is not there: the caller's set is lost too.
            raise ValueError(f"Key {key!r} not found (cache unreachable).")
        return value

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt("set_many", list(data), data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._attempt("delete_many", None, keys, version)

    def clear(self):
        return self._attempt("clear", False)
