"""Retrying a transaction that lost a serialization conflict or a deadlock, at the outermost
boundary only: a request (RetryOnConflictMiddleware), a Celery task (RetryOnConflictTask, the
app's task class) and a bulk job's chunk (jobs.services.job_advance).

Inside an open transaction a retry can't help: PostgreSQL has aborted the whole transaction,
so the error goes up to the boundary, which runs the whole unit again from the start.
"""

import functools
import random
import time

from celery import Task
from django.db import OperationalError, connection

# SQLSTATEs worth retrying: serialization_failure, deadlock_detected.
RETRYABLE_SQLSTATES = {"40001", "40P01"}
ATTEMPTS = 4


def is_retryable(error: BaseException) -> bool:
    return isinstance(error, OperationalError) and getattr(error.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES


def _pause(attempt: int) -> None:
    time.sleep(random.uniform(0.01, 0.05) * attempt)


def retry_on_conflict(func=None, *, attempts: int = ATTEMPTS):
    """Run `func` again after a deadlock or serialization failure, `attempts` times in all.
    Only at an outermost boundary: called inside an open transaction it never retries."""

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            for attempt in range(1, attempts + 1):
                try:
                    return fn(*args, **kwargs)
                except OperationalError as error:
                    if connection.in_atomic_block or attempt == attempts or not is_retryable(error):
                        raise
                    _pause(attempt)

        return wrapper

    return decorate(func) if func else decorate


class RetryOnConflictMiddleware:
    """The request boundary: a view that raised a deadlock or serialization failure runs again
    (up to ATTEMPTS times in all), uploaded files rewound. Last in MIDDLEWARE, so it sees the
    view's exception first; the API's handler passes such errors on to it (api.main)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        match = getattr(request, "resolver_match", None)
        if match is None or connection.in_atomic_block or not is_retryable(exception):
            return None
        for attempt in range(2, ATTEMPTS + 1):
            _pause(attempt - 1)
            for upload in request.FILES.values():
                upload.seek(0)
            try:
                return match.func(request, *match.args, **match.kwargs)
            except OperationalError as error:
                if attempt == ATTEMPTS or not is_retryable(error):
                    raise
        return None


class RetryOnConflictTask(Task):
    """The task boundary (config.celery makes it every task's class): a task body that raised a
    deadlock or serialization failure runs again at once, up to ATTEMPTS times in all."""

    def __call__(self, *args, **kwargs):
        return retry_on_conflict(lambda: super(RetryOnConflictTask, self).__call__(*args, **kwargs))()
