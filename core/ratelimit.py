"""A small fixed-window rate limit in Django's cache (Redis in production, shared by workers)."""

import time

from django.core.cache import cache


def client_ip(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client says unless a trusted proxy
    # rewrites it, and a limit keyed on it could be dodged by changing the header.
    return request.META.get("REMOTE_ADDR", "unknown")


def rate_limited(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one more hit for (scope, key); True once more than `limit` hits fall in the window."""
    bucket = f"ratelimit:{scope}:{key}:{int(time.time() // window_seconds)}"
    cache.add(bucket, 0, timeout=window_seconds)
    try:
        hits = cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.set(bucket, 1, timeout=window_seconds)
        hits = 1
    return hits > limit
