"""Rate limits as a sliding window in Django's cache (Redis in production, shared by workers).

"60 a minute" means at most 60 hits in any 60 seconds, also across a minute boundary (a fixed
window let 120 through in 5 s: 60 at the end of one minute, 60 at the start of the next). The
window is counted in SLOTS slots: a hit is counted for at least one window and at most one
window and a slot (66 s of "a minute"), never less. A refused hit is not counted, so a client
that keeps trying gets back its `limit` hits a window after the hits that used them up.
"""

import contextlib
import time

from django.core.cache import cache

SLOTS = 10


def client_ip(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client says unless a trusted proxy
    # rewrites it, and a limit keyed on it could be dodged by changing the header.
    return request.META.get("REMOTE_ADDR", "unknown")


def rate_limited(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one more hit for (scope, key); True, and not counted, if it would make more than
    `limit` hits within the last `window_seconds`."""
    slot_seconds = window_seconds / SLOTS
    current = int(time.time() // slot_seconds)
    prefix = f"ratelimit:{scope}:{key}:{window_seconds}:"
    timeout = int(window_seconds + 2 * slot_seconds) + 1
    bucket = f"{prefix}{current}"
    cache.add(bucket, 0, timeout=timeout)
    try:
        hits = cache.incr(bucket)  # atomic: concurrent hits each get their own count
    except ValueError:  # expired between add and incr
        cache.set(bucket, 1, timeout=timeout)
        hits = 1
    earlier = cache.get_many([f"{prefix}{current - n}" for n in range(1, SLOTS + 1)])
    if hits + sum(earlier.values()) <= limit:
        return False
    with contextlib.suppress(ValueError):
        cache.decr(bucket)
    return True
