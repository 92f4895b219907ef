import functools
import random
import time

from django.db import OperationalError, connection

# SQLSTATEs worth retrying: serialization_failure, deadlock_detected.
RETRYABLE_SQLSTATES = {"40001", "40P01"}


def is_retryable(error: OperationalError) -> bool:
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) in RETRYABLE_SQLSTATES


def retry_on_conflict(func=None, *, attempts: int = 4):
    """Run an outermost transactional service again after a deadlock or serialization failure."""

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            for attempt in range(1, attempts + 1):
                try:
                    return fn(*args, **kwargs)
                except OperationalError as error:
                    if connection.in_atomic_block or attempt == attempts or not is_retryable(error):
                        raise
                    time.sleep(random.uniform(0.01, 0.05) * attempt)

        return wrapper

    return decorate(func) if func else decorate
